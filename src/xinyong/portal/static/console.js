/* xinyong authority console: progressive enhancement of the upload form.
   Without this script the form posts normally and the server answers with the report.
   With it, the file is sent by XMLHttpRequest with a <progress> bar, then the browser
   goes to the import's report. Served by xinyong; nothing loads from elsewhere. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = document.getElementById("file");
  var status = document.getElementById("upload-status");
  var bar = document.getElementById("upload-progress");
  var message = document.getElementById("upload-message");
  var error = document.getElementById("upload-error");
  var button = form.querySelector("button[type=submit]");
  var limit = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;

  function fail(text) {
    error.textContent = text;
    error.hidden = false;
    status.hidden = true;
    button.disabled = false;
  }

  function errorText(xhr) {
    var type = xhr.getResponseHeader("content-type") || "";
    try {
      if (type.indexOf("application/json") === 0) {
        var body = JSON.parse(xhr.responseText);
        if (body && body.message) { return body.message; }
      }
      if (type.indexOf("text/html") === 0) {
        var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var shown = doc.querySelector("main .error");
        if (shown) { return shown.textContent; }
      }
    } catch (e) { /* fall through to the generic message */ }
    return form.getAttribute("data-failed");
  }

  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) { return; }  // the browser's own "required" message
    event.preventDefault();
    error.hidden = true;
    if (limit && file.size > limit) { fail(form.getAttribute("data-too-large")); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pct = Math.round((e.loaded / e.total) * 100);
        bar.value = pct;
        bar.textContent = pct + "%";
      }
    };
    xhr.upload.onload = function () {
      bar.value = 100;
      message.textContent = form.getAttribute("data-importing");
    };
    xhr.onload = function () {
      var landed = xhr.responseURL || "";
      if (xhr.status === 200 && landed.indexOf("/console/imports/") !== -1) {
        window.location.assign(landed);
      } else if (xhr.status === 200 && landed.indexOf("/console/sign-in") !== -1) {
        window.location.assign(landed);
      } else {
        fail(errorText(xhr));
      }
    };
    xhr.onerror = function () { fail(form.getAttribute("data-failed")); };
    button.disabled = true;
    bar.value = 0;
    status.hidden = false;
    message.textContent = form.getAttribute("data-sending");
    xhr.send(new FormData(form));
  });
  // says that uploads now go by XMLHttpRequest; a submit before this line posts the plain form
  form.setAttribute("data-enhanced", "xhr");
}());
