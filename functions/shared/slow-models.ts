/**
 * Models slower than usual (summary.json's `slowModels`, docs/design.md): the container flags a
 * model that took more than twice its median over the job's last successful runs and at least
 * 30 s longer. Evaluate keeps them, Notify and the CLI show each as one line:
 * "orders: 4m12s, usually 1m05s". Pure: no I/O.
 */

export interface SlowModel {
  uniqueId: string;
  seconds: number;
  medianSeconds: number;
  /** How many earlier successful runs the median is of. */
  runsCompared: number;
}

/** `4m12s`, `1h02m03s`, `45s`, `0.4s`: short enough for a line per model. */
export function compactDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${Math.round(seconds * 10) / 10}s`;
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const two = (value: number) => String(value).padStart(2, '0');
  if (hours > 0) return `${hours}h${two(minutes)}m${two(rest)}s`;
  if (minutes > 0) return `${minutes}m${two(rest)}s`;
  return `${rest}s`;
}

/** The model's name: `model.shop.orders` → `orders` (a versioned model keeps its `.v2`). */
export function modelName(uniqueId: string): string {
  const parts = uniqueId.split('.');
  if (parts[0] !== 'model' || parts.length < 3) return uniqueId;
  return parts.slice(2).join('.');
}

/** "4m12s, usually 1m05s". */
export function slowModelTiming(model: SlowModel): string {
  return `${compactDuration(model.seconds)}, usually ${compactDuration(model.medianSeconds)}`;
}

/** "orders: 4m12s, usually 1m05s". */
export function slowModelText(model: SlowModel): string {
  return `${modelName(model.uniqueId)}: ${slowModelTiming(model)}`;
}
