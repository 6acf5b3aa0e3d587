import { tFor } from '../../core/i18n.js';
import type { BroadcastCounts } from './counts.js';

/** "Đã gửi 12.400/50.000 · 25% · còn khoảng 25 phút" */
export function progressText(locale: string, counts: BroadcastCounts, startedAt: Date | null, now: Date): string {
  const t = tFor(locale);
  const nf = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN');
  const done = counts.total - counts.pending;
  const pct = counts.total === 0 ? 100 : Math.floor((done * 100) / counts.total);
  const parts = [t('broadcast:progress_done', { done: nf.format(done), total: nf.format(counts.total) }), `${pct}%`];
  // The rate counts only what a worker handled: rows unreachable at queue time were never in the queue.
  const handled = counts.sent + counts.failed + counts.undeliverable;
  const elapsedMs = startedAt ? now.getTime() - startedAt.getTime() : 0;
  if (counts.pending > 0) {
    if (handled > 0 && elapsedMs > 0) {
      const minutes = Math.ceil(counts.pending / (handled / elapsedMs) / 60_000);
      parts.push(t('broadcast:progress_eta', { count: minutes }));
    } else parts.push(t('broadcast:progress_eta_unknown'));
  }
  return parts.join(' · ');
}

/**
 * The final report. Undeliverable messages (Zalo outside its interaction window, no template) are named on their
 * own: unlike a failure, the official can act on them (configure a template, ask people to write to the OA).
 */
export function reportText(locale: string, c: BroadcastCounts): string {
  const t = tFor(locale);
  const nf = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'vi-VN');
  const report = t('broadcast:report', {
    sent: nf.format(c.sent),
    failed: nf.format(c.failed),
    unreachable: nf.format(c.unreachable),
    cancelled: nf.format(c.cancelled),
    total: nf.format(c.total),
  });
  return c.undeliverable > 0
    ? `${report}\n${t('broadcast:report_undeliverable', { count: nf.format(c.undeliverable) })}`
    : report;
}
