import { tFor } from '../core/i18n.js';
import { escapeMarkup } from '../render/escape.js';
import type { RouteModule } from './app.js';
import { htmlPage, pageLocale } from './page-shell.js';

/**
 * `GET /`: what the service is and the ways in — the web chat, Telegram and Zalo when configured, how a pass is
 * checked, and where venues and officials start. Vietnamese unless the browser asks for English (or `?lang=en`).
 */
export const homePageRoutes: RouteModule = (app, deps) => {
  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const locale = pageLocale(req);
    const t = tFor(locale);
    const h = (key: string, params?: Record<string, unknown>) => escapeMarkup(t(`home:${key}`, params));
    const link = (href: string, label: string) => `<a class="button" href="${escapeMarkup(href)}">${label}</a>`;
    const ways: string[] = [];
    if (deps.config.webChat) ways.push(`<li>${link(deps.links.webChat(), h('open_web_chat'))}</li>`);
    const telegram = deps.links.telegramStart('home');
    if (telegram) ways.push(`<li>${link(telegram, h('open_telegram'))}</li>`);
    if (deps.config.zalo) ways.push(`<li>${link(`https://zalo.me/${deps.config.zalo.oaId}`, h('open_zalo'))}</li>`);
    const other = locale === 'en' ? 'vi' : 'en';
    const body = `
<h1>${h('title')}</h1>
<p>${h('intro')}</p>
<h2>${h('residents')}</h2>
<p>${h('residents_body')}</p>
${ways.length ? `<ul class="ways">${ways.join('')}</ul>` : `<p>${h('no_channel')}</p>`}
<h2>${h('check_pass')}</h2>
<p>${h('check_pass_body')}</p>
<h2>${h('venues')}</h2>
<p>${h('venues_body')}</p>
<h2>${h('officials')}</h2>
<p>${h('officials_body')}</p>
<p class="privacy">${h('privacy')}</p>
<p><a href="/?lang=${other}">${h('other_language')}</a></p>`;
    reply.header('content-type', 'text/html; charset=utf-8');
    return htmlPage(locale, t('home:title'), body);
  });
};
