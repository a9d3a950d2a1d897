/* sohoa console: the little the pages do in the browser (no inline script: the CSP forbids it).
   Review: zoom, rotate, a field's word box highlighted while its input has focus, keyboard
   shortcuts. Intake: drag and drop of files or a folder, upload progress, live job states (SSE). */
(function () {
  "use strict";

  function reviewPage() {
    var pages = document.getElementById("pages");
    var form = document.getElementById("review-form");
    if (!pages || !form) { return; }
    var zoom = 1, rotation = 0;
    function show() {
      pages.className = "pages zoom-" + zoom + (rotation ? " rot-" + rotation : "");
    }
    pages.addEventListener("click", function (event) {
      var action = event.target.getAttribute && event.target.getAttribute("data-action");
      if (action === "zoom-in") { zoom = Math.min(3, zoom + 1); }
      else if (action === "zoom-out") { zoom = Math.max(0, zoom - 1); }
      else if (action === "rotate") { rotation = (rotation + 90) % 360; }
      else { return; }
      show();
    });
    function mark(name) {
      var rects = pages.querySelectorAll("rect[data-field]");
      var first = null;
      rects.forEach(function (r) {
        var on = r.getAttribute("data-field") === name;
        r.classList.toggle("active", on);
        if (on && !first) { first = r; }
      });
      if (first && first.scrollIntoView) { first.scrollIntoView({block: "center", behavior: "smooth"}); }
    }
    form.addEventListener("focusin", function (event) {
      var name = event.target.getAttribute && event.target.getAttribute("data-field");
      if (name) { mark(name); }
    });
    document.addEventListener("keydown", function (event) {
      if (!(event.altKey && event.shiftKey)) { return; }
      var key = event.key.toUpperCase();
      var target = null;
      if (key === "A") { target = document.getElementById("accept"); }
      else if (key === "S") { target = document.getElementById("save"); }
      else if (key === "N") { target = document.getElementById("next"); }
      else if (key === "P") { target = document.getElementById("previous"); }
      if (target) { event.preventDefault(); target.click(); }
    });
  }

  function csrfOf(form) {
    var input = form.querySelector("input[name=csrf]");
    return input ? input.value : "";
  }

  function intakePage() {
    var form = document.getElementById("upload-form");
    var zone = document.getElementById("dropzone");
    var list = document.getElementById("progress");
    if (!form || !zone || !list) { return; }
    var bytes = document.getElementById("upload-bytes");
    var dropped = [];

    function line(id, text) {
      var item = document.getElementById("job-" + id);
      if (!item) {
        item = document.createElement("li");
        item.id = "job-" + id;
        list.appendChild(item);
      }
      item.textContent = text;
      return item;
    }

    function follow(jobs) {
      if (!jobs.length) { return; }
      var url = form.getAttribute("data-events") + "?jobs=" + jobs.map(function (j) { return j.id; }).join(",");
      var names = {};
      jobs.forEach(function (j) { names[j.id] = j.filename; line(j.id, j.filename + ": …"); });
      var source = new EventSource(url);
      source.addEventListener("job", function (event) {
        var data = JSON.parse(event.data);
        var item = line(data.id, data.filename + ": " + data.text);
        item.setAttribute("data-status", data.status);
      });
      source.addEventListener("checklist", function () {
        var checklist = document.getElementById("checklist");
        if (checklist && window.htmx) { window.htmx.trigger(checklist, "refresh"); }
      });
      source.addEventListener("done", function () {
        source.close();
        list.setAttribute("data-done", "true");
      });
    }

    function send(files) {
      if (!files.length) { bytes.hidden = false; bytes.textContent = list.getAttribute("data-none"); return; }
      var body = new FormData();
      body.append("csrf", csrfOf(form));
      files.forEach(function (f) { body.append("files", f, f.name); });
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("Accept", "application/json");
      request.setRequestHeader("X-CSRF-Token", csrfOf(form));
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bytes.hidden = false;
          bytes.textContent = Math.round(100 * event.loaded / event.total) + "%";
        }
      });
      request.addEventListener("load", function () {
        if (request.status === 200) {
          var answer = JSON.parse(request.responseText);
          bytes.textContent = "100%";
          follow(answer.jobs);
        } else {
          bytes.hidden = false;
          bytes.textContent = "HTTP " + request.status;
        }
      });
      request.send(body);
    }

    function chosen() {
      var files = dropped.slice();
      form.querySelectorAll("input[type=file]").forEach(function (input) {
        Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
      });
      return files;
    }

    var shown = document.getElementById("chosen");
    var none = shown ? shown.textContent : "";
    function showChosen() {
      if (!shown) { return; }
      var files = chosen();
      shown.textContent = files.length ? shown.getAttribute("data-some").replace("{n}", files.length)
        .replace("{names}", files.slice(0, 5).map(function (f) { return f.name; }).join(", ") + (files.length > 5 ? ", …" : "")) : none;
    }
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      input.addEventListener("change", showChosen);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      send(chosen());
      dropped = [];
      form.reset();
      showChosen();
    });

    function walk(entry, into, done) {
      if (entry.isFile) {
        entry.file(function (f) { into.push(f); done(); }, done);
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        reader.readEntries(function (entries) {
          var left = entries.length;
          if (!left) { done(); return; }
          entries.forEach(function (e) { walk(e, into, function () { left -= 1; if (!left) { done(); } }); });
        }, done);
      } else { done(); }
    }

    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("over");
      var items = event.dataTransfer.items;
      var files = [];
      var entries = [];
      if (items) {
        Array.prototype.forEach.call(items, function (item) {
          var entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
          if (entry) { entries.push(entry); } else if (item.getAsFile()) { files.push(item.getAsFile()); }
        });
      }
      if (!entries.length) { send(files.length ? files : Array.prototype.slice.call(event.dataTransfer.files)); return; }
      var left = entries.length;
      entries.forEach(function (e) { walk(e, files, function () { left -= 1; if (!left) { send(files); } }); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    reviewPage();
    intakePage();
  });
}());
