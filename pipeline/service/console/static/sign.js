/* The sign queue (issue 16): select all, and "sign with my USB token" — the page asks the
   signing bridge on this PC (data-bridge, e.g. http://127.0.0.1:8765) for the token's
   certificate chain, then for each selected result: prepare here, the bridge signs
   data_to_sign, complete here. The PIN typed once is sent to the bridge with each signature of
   this batch and kept nowhere else. The bridge protocol is in README ("The token bridge"). */
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  if (!form) { return; }
  var all = document.getElementById("select-all");
  var boxes = function () { return Array.prototype.slice.call(form.querySelectorAll("input[name=document]")); };
  if (all) {
    all.addEventListener("change", function () { boxes().forEach(function (b) { b.checked = all.checked; }); });
  }
  var csrf = form.querySelector("input[name=csrf]").value;
  var list = document.getElementById("token-progress");
  var bridge = form.getAttribute("data-bridge");

  function line(id, text, status) {
    var item = document.getElementById("token-" + id);
    if (!item) { item = document.createElement("li"); item.id = "token-" + id; list.appendChild(item); }
    item.textContent = id.slice(0, 12) + ": " + text;
    item.setAttribute("data-status", status);
  }

  function post(url, body, headers) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}), body: JSON.stringify(body) })
      .then(function (answer) {
        return answer.json().then(function (data) {
          if (!answer.ok) { throw new Error(data.message || data.code || ("HTTP " + answer.status)); }
          return data;
        });
      });
  }

  function signOne(id, kind, chain, pin) {
    line(id, "…", "running");
    return post(form.getAttribute("data-prepare"), { document_id: id, kind: kind, certificate_chain: chain },
                { "X-CSRF-Token": csrf })
      .then(function (prepared) {
        return post(bridge + "/sign", { data_to_sign: prepared.data_to_sign, digest: prepared.digest,
          digest_algorithm: prepared.digest_algorithm, signature_mechanism: prepared.signature_mechanism, pin: pin })
          .then(function (signed) {
            return post(form.getAttribute("data-complete"), { signing_id: prepared.signing_id, signature: signed.signature },
                        { "X-CSRF-Token": csrf });
          });
      })
      .then(function (done) { line(id, "v" + done.version + " " + done.status, "signed"); return true; },
            function (error) { line(id, error.message, "failed"); return false; });
  }

  document.getElementById("sign-token").addEventListener("click", function () {
    var chosen = boxes().filter(function (b) { return b.checked; });
    var kind = document.getElementById("sign-kind").value;
    var pinInput = document.getElementById("sign-pin");
    var pin = pinInput.value;
    pinInput.value = "";
    list.setAttribute("data-done", "false");
    fetch(bridge + "/certificate").then(function (answer) { return answer.json(); }).then(function (token) {
      var chain = token.certificate_chain;
      var next = Promise.resolve();
      chosen.forEach(function (box) { next = next.then(function () { return signOne(box.value, kind, chain, pin); }); });
      return next;
    }, function () {
      line("bridge", form.getAttribute("data-unreachable"), "failed");
    }).then(function () { pin = null; list.setAttribute("data-done", "true"); });
  });
}());
