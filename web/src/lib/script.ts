// Third-party SDKs (TossPayments, Google Identity Services) are loaded only on the pages that
// need them, and only when they are configured: fans without them never contact those hosts.
const loading = new Map<string, Promise<void>>();

/** Add `<script src>` once; resolves when it has run, rejects (and may be retried) on error. */
export function loadScript(src: string): Promise<void> {
  const known = loading.get(src);
  if (known) return known;
  const promise = new Promise<void>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.addEventListener("load", () => resolve());
    script.addEventListener("error", () => {
      loading.delete(src);
      script.remove();
      reject(new Error(`${src} did not load`));
    });
    document.head.appendChild(script);
  });
  loading.set(src, promise);
  return promise;
}

/** Forget every loaded script (tests start from a clean document). */
export function resetScripts(): void {
  loading.clear();
}
