// Attach the phone's position to the SOS form when the resident allows it; the
// alarm goes without it otherwise (the house address is always known).
document.addEventListener("DOMContentLoaded", function () {
  var lat = document.getElementById("id_latitude"), lon = document.getElementById("id_longitude");
  if (!lat || !lon || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    lat.value = pos.coords.latitude.toFixed(6);
    lon.value = pos.coords.longitude.toFixed(6);
  }, function () {}, {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000});
});
