if (new URLSearchParams(location.search).get("failed")) document.getElementById("failed").hidden = false;
