"""Credit restoration (信用修复): a subject applies to end a negative record's publicity
early, with evidence and a credit commitment; the deciding authority approves or rejects."""
