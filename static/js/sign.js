// The signature pads of /visits/{id}/sign, drawn with signature_pad (vendored, MIT). On "Lưu chữ ký"
// the drawing becomes the form's `file` (a PNG) and the form posts as a plain multipart form, so the
// server's answer (a 303 with a note) is the same as without JavaScript.
(() => {
  const forms = document.querySelectorAll("form[data-sign-form]");
  if (!forms.length || typeof SignaturePad === "undefined") return;
  for (const form of forms) {
    const canvas = form.querySelector("canvas[data-pad]");
    const status = form.querySelector("[data-pad-status]");
    const fileInput = form.querySelector('input[type="file"][name="file"]');
    const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#0b1f66" });
    // The drawing area in device pixels, so strokes stay sharp; a resize clears it (as the library advises).
    const fit = () => {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
    };
    let width = canvas.offsetWidth;
    window.addEventListener("resize", () => {
      if (canvas.offsetWidth !== width) { width = canvas.offsetWidth; fit(); }
    });
    fit();
    for (const el of form.querySelectorAll(".pad-file")) el.hidden = true;
    form.querySelector("[data-pad-clear]").addEventListener("click", () => { pad.clear(); status.textContent = ""; });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      if (pad.isEmpty()) {
        status.textContent = "Khung ký còn trống: hãy ký trước khi lưu.";
        return;
      }
      status.textContent = "Đang lưu chữ ký…";
      canvas.toBlob((blob) => {
        const files = new DataTransfer();
        files.items.add(new File([blob], "chu-ky.png", { type: "image/png" }));
        fileInput.files = files.files;
        form.submit();
      }, "image/png");
    });
  }
})();
