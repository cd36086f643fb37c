/** An upload's progress: a labelled <progress> with its percentage in words. */
export function Progress({ label, percent }: { label: string; percent: number }) {
  return (
    <div className="progress">
      <progress aria-label={label} max={100} value={percent} />
      <span aria-live="polite">{percent === 100 ? "Uploaded 100%" : `${percent}%`}</span>
    </div>
  );
}

/** Turns the byte counts of an upload into a whole percentage. */
export function toPercent(loaded: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
}
