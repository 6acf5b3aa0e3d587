import { mkdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { statsChartPng, statsChartSvg, type ChartLabels } from '../../src/features/stats/chart.js';
import type { Stats } from '../../src/features/stats/stats.js';

const labels: ChartLabels = {
  title: 'Số liệu 7 ngày',
  dailyTitle: 'Khai báo mỗi ngày',
  wardTitle: 'Khai báo có triệu chứng theo phường/xã',
  declarations: 'Khai báo',
  symptomatic: 'Có triệu chứng',
  noWard: 'Chưa rõ phường',
  empty: 'Không có',
  locale: 'vi',
};

const stats: Stats = {
  from: '2021-08-01T00:00:00+07:00',
  to: '2021-08-08T00:00:00+07:00',
  declarations: 1_530,
  symptomatic: 65,
  symptomaticByWard: [
    { wardCode: '31117', wardName: 'Phường Cái Khế', count: 40 },
    { wardCode: '31120', wardName: 'Phường An Hòa', count: 20 },
    { wardCode: null, wardName: null, count: 5 },
  ],
  checkins: 900,
  venues: { total: 10, active: 8, new: 1 },
  alerts: { sent: 3, acknowledged: 1 },
  daily: [
    { date: '2021-08-01', declarations: 1_200, symptomatic: 3, checkins: 100 },
    { date: '2021-08-02', declarations: 200, symptomatic: 150, checkins: 100 },
    { date: '2021-08-03', declarations: 130, symptomatic: 0, checkins: 100 },
  ],
};

describe('/thongke chart', () => {
  it('labels each bar’s symptomatic part with its number, in type large enough for a chat bubble', () => {
    const svg = statsChartSvg(stats, labels);
    // 150 of 200 fits inside the amber block; 3 of 1.200 is written after the total.
    expect(svg).toMatch(/fill="#ffffff">150<\/text>/);
    expect(svg).toContain('1.200<tspan fill="#b45309">\u00a0(3)</tspan>');
    expect(svg).not.toMatch(/130<tspan/);
    expect(svg).toContain('Có triệu chứng');
    // Shown about a third of its width in a chat: nothing under 20 px at 900 px wide.
    const sizes = [...svg.matchAll(/font-size="(\d+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20);

    const png = statsChartPng(stats, labels);
    const img = PNG.sync.read(png);
    expect(img.width).toBe(900);
    mkdirSync('test-results/screenshots', { recursive: true });
    writeFileSync('test-results/screenshots/stats-chart.png', png);
  });
});
