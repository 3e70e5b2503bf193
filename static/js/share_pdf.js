// "Share the PDF": where the phone can share files (Web Share API level 2), the button
// appears and hands the roadmap PDF to the phone's share sheet (KakaoTalk, mail, …).
document.querySelectorAll("[data-share-pdf]").forEach((button) => {
  if (!navigator.canShare) return;
  const probe = new File([""], "probe.pdf", { type: "application/pdf" });
  if (!navigator.canShare({ files: [probe] })) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const response = await fetch(button.dataset.sharePdf, { credentials: "same-origin" });
    if (!response.ok) {
      window.location.href = button.dataset.sharePdf; // "being prepared": the page says so
      return;
    }
    const file = new File([await response.blob()], button.dataset.name, { type: "application/pdf" });
    try {
      await navigator.share({ files: [file], title: button.dataset.title });
    } catch (error) {
      // the owner closed the share sheet: nothing to do
    }
  });
});
