// "Ghi nhận có mặt": ask the browser for its position (the page says why), fill the form's hidden
// fields and post it. A refusal, or no position within 20 s, is posted as "declined" — the minutes
// then say "không chia sẻ vị trí". The server stamps the time; nothing here decides it.
// An ES module, imported by capture.js on the first press of "Ghi nhận có mặt" (most loads of the visit
// page never press it), which then calls `locate` with the form and the button pressed.

export function locate(form, button) {
  const status = form.querySelector("#checkin-status");
  const field = (name) => form.querySelector(`input[name="${name}"]`);
  const declineAndSend = (why) => {
    const declined = document.createElement("input");
    declined.type = "hidden";
    declined.name = "declined";
    declined.value = "1";
    form.append(declined);
    status.textContent = why;
    form.submit();
  };
  if (!("geolocation" in navigator)) {
    declineAndSend("Máy không cung cấp vị trí: ghi nhận là không chia sẻ vị trí.");
    return;
  }
  status.textContent = "Đang lấy vị trí…";
  button.disabled = true;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      field("lat").value = position.coords.latitude;
      field("lon").value = position.coords.longitude;
      field("accuracy_m").value = Math.round(position.coords.accuracy);
      status.textContent = "Đã có vị trí, đang lưu…";
      form.submit();
    },
    () => declineAndSend("Không lấy được vị trí: ghi nhận là không chia sẻ vị trí."),
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
  );
}
