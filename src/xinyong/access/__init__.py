"""The access log ("data tracker"): every read of non-public data by an authority, with its
purpose and legal basis, for the subject to see."""
