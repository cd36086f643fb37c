import { useState, type ImgHTMLAttributes } from "react";

/**
 * An img painted over its blurred `placeholder` (a tiny data: URI from the
 * API) that fades in once loaded: the blur-up technique.
 */
export function BlurUpImage({
  placeholder,
  testId,
  ...img
}: ImgHTMLAttributes<HTMLImageElement> & { placeholder?: string | null; testId?: string; alt: string }) {
  const [loaded, setLoaded] = useState(false);
  return (
    <span
      className={`blur-up${loaded ? " loaded" : ""}`}
      style={placeholder ? { backgroundImage: `url("${placeholder}")` } : undefined}
    >
      <img {...img} data-testid={testId} decoding="async" onLoad={() => setLoaded(true)} />
    </span>
  );
}
