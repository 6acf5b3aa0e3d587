import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Database, Tx } from '../db/client.js';
import { accounts, type Account } from '../db/schema/index.js';
import { isStateConflict, openUpdate, saveDialogState } from './dialog-store.js';
import { assertNoPrefixCollisions, type CallbackData, type PrefixClaim } from './callback-data.js';
import { DEFAULT_CAPABILITIES, type ChannelCapabilities, type ChannelRegistry } from './channel.js';
import { firstDelivery } from './channel-state.js';
import type { Clock } from './clock.js';
import type { Links } from './links.js';
import type { Secrets } from './secrets.js';
import { isDatabaseUnavailable, DatabaseUnavailableError } from './errors.js';
import { normalizeLocale, tFor, type Locale, type T } from './i18n.js';
import { foldText } from './text-fold.js';
import type { ChannelName, Inbound, Outbound } from './messages.js';
import { numberChoices, resolveNumberedChoice } from './numbered-choices.js';

/**
 * Everything a dialog step may use. Built once, before any feature, by the composition root (src/service.ts)
 * and shared by every update; nothing in it is filled in later.
 */
export interface Deps {
  config: Config;
  database: Database;
  clock: Clock;
  log: FastifyBaseLogger;
  /** service-wide secrets (see src/core/secrets.ts); throws SERVICE_STARTING until start-up loaded them */
  secrets: () => Secrets;
  /** links back into the service: pages, web chat, Telegram deep links */
  links: Links;
  /** nudges the outbox dispatcher after rows were committed, so alerts leave at once */
  wakeOutbox: () => void;
  /** the channel senders registered on this instance: their capabilities shape replies */
  channels: ChannelRegistry;
}

export interface DialogState {
  flow: string | null;
  step: string | null;
  data: Record<string, unknown>;
}

/** What a flow step receives: the person's answer. */
export type StepInput =
  | { kind: 'text'; text: string }
  | { kind: 'button'; payload: string }
  | { kind: 'contact'; phone: string; isOwn: boolean; name?: string };

/**
 * Per-update context handed to commands, buttons and flow steps. Inside a step of `Flow<S, D>` it is
 * `DialogContext<S, D>`: `goto` takes only that flow's step names and `data` is that flow's state. Elsewhere
 * (commands, buttons) `goto` takes nothing: enter a flow with `go`, or narrow with `inFlow`.
 */
export interface DialogContext<S extends string = never, D = unknown> {
  readonly inbound: Inbound;
  readonly channel: ChannelName;
  /** what this channel can do (ask these rather than the channel's name) */
  readonly capabilities: ChannelCapabilities;
  /** the account row (created on first contact; holds no personal data until consent) */
  account: Account;
  /** the transaction of this update; never use deps.database.db inside it (PGlite has one connection) */
  readonly tx: Tx;
  readonly deps: Deps;
  /** this update's logger: every line carries the channel, update id and account id (ids only, never content) */
  readonly log: FastifyBaseLogger;
  readonly t: T;
  readonly locale: Locale;
  readonly state: DialogState;
  /** the current flow's data, typed by the flow (kept in the dialog state between updates) */
  readonly data: D;
  reply(...messages: Outbound[]): void;
  /** Enter `flow` at `step` (replacing any current flow) with `data`, and ask that step's question. */
  go<FS extends string, FD>(flow: FlowRef<FS, FD>, step: NoInfer<FS>, data: FD): Promise<void>;
  /** Move to another step of the current flow and ask its question. */
  goto(step: S): Promise<void>;
  /** Ask the current step's question again (after help, a language change, a detour); nothing outside a flow. */
  repeat(): Promise<void>;
  /** Leave the current flow. */
  end(): void;
  /** Change the language for this and later updates (t in this context keeps the old one; use tFor). */
  setLocale(locale: Locale): Promise<void>;
  /** Run after the transaction commits (e.g. wake the outbox). */
  afterCommit(fn: () => void | Promise<void>): void;
  /**
   * A read done once per update: the first call with `key` loads, later calls in the same update get the same
   * promise. Only for what the update itself does not change before it reads it again (a venue, the account's
   * own person, their status at the door), so one step handing over to the next pays for it once.
   */
  memo<V>(key: string, load: () => Promise<V>): Promise<V>;
  /** Run a registered command as if typed (e.g. the menu after a flow ends). */
  runCommand(name: string, args?: string): Promise<void>;
  /** The commands with a help or menu text this account may use now (officials' only for officials), once each. */
  availableCommands(): Promise<Command[]>;
  /**
   * Run a start parameter's handler as if the deep link were opened now. Used to finish what a link began
   * after a detour (a check-in that needed a declaration first).
   */
  runStart(param: string): Promise<void>;
}

export interface Step<S extends string = string, D = unknown> {
  /** Ask the question (send the prompt and its buttons). */
  ask(ctx: DialogContext<S, D>): Promise<void>;
  /** Take the answer: store it in ctx.data and goto the next step, or reply why and ask again. */
  handle(ctx: DialogContext<S, D>, input: StepInput): Promise<void>;
}

/**
 * A flow's name with its step names and state type: what `ctx.go` needs to enter a flow whose steps are built
 * elsewhere (at composition, to avoid an import cycle — see privacy/consent.ts). Every Flow is one.
 */
export interface FlowRef<S extends string = string, D = unknown> {
  name: string;
  /** type-only: carries S and D */
  readonly __types?: { steps: S; data: D };
}

/** `flowRef<Steps, Data>('name')`: a FlowRef for a flow built by a factory. */
export function flowRef<S extends string, D>(name: string): FlowRef<S, D> {
  return { name };
}

/** A conversation of named steps over a state of type D. */
export interface Flow<S extends string = string, D = unknown> extends FlowRef<S, D> {
  steps: Record<S, Step<S, D>>;
  /** the payload namespaces of the steps' buttons (checked against every other feature's at start-up) */
  payloads?: CallbackData[];
}

/**
 * `defineFlow<Data>()('name', {step: {...}})`: the step names are taken from the object, so a `goto` to a
 * step that does not exist, or data of the wrong shape, does not compile.
 */
export function defineFlow<D>() {
  return <S extends string>(name: string, steps: Record<S, Step<S, D>>, payloads?: CallbackData[]): Flow<S, D> => ({
    name,
    steps,
    ...(payloads ? { payloads } : {}),
  });
}

/** True (and `ctx` typed for the flow) when the person is in `flow` now. */
export function inFlow<S extends string, D>(ctx: DialogContext, flow: FlowRef<S, D>): ctx is DialogContext<S, D> {
  return ctx.state.flow === flow.name && !!ctx.state.step;
}

export interface Command {
  /** names without the slash, Vietnamese and English: ['khaibao', 'declare'] */
  names: string[];
  /** When present and false, the command is answered as unknown (officials' commands for residents). */
  allowed?(ctx: DialogContext): Promise<boolean>;
  run(ctx: DialogContext, args: string): Promise<void>;
  /** shown in menus (Telegram setMyCommands): locale key for the description */
  descriptionKey?: string;
  /** shown in /trogiup to those `allowed` (officials' commands, kept out of the public menus): locale key */
  helpKey?: string;
}

export interface PrefixHandler {
  /** payloads / start parameters look like `<prefix>_<rest>` or `<prefix>:<rest>`; prefix is matched exactly
   *  (letters and digits, one owner per prefix: see core/callback-data.ts) */
  prefix: string;
  run(ctx: DialogContext, rest: string): Promise<void>;
}

export interface Feature {
  name: string;
  commands?: Command[];
  /** `/start <prefix>_<rest>` deep links and landing-page codes */
  startHandlers?: PrefixHandler[];
  /** buttons that work outside any flow (e.g. acknowledge an alert): payload `<prefix>:<rest>` */
  buttonHandlers?: PrefixHandler[];
  flows?: Flow<string, unknown>[];
  /** text typed outside any flow; return true when handled (e.g. a venue code) */
  onIdleText?(ctx: DialogContext, text: string): Promise<boolean>;
}

export interface HandleResult {
  /** the replies as the channel should show them (choices numbered in the text where the channel needs it) */
  replies: Outbound[];
  locale: Locale;
  duplicate: boolean;
  accountId?: string;
}

const MAX_VERSION_RETRIES = 3;

class VersionConflict extends Error {}

/**
 * Runs one inbound update through the features, in one transaction, serialized per account:
 * de-duplicate → lock account → load state → route → save state (versioned) → commit → replies.
 * One definition of every flow serves every channel.
 */
export class DialogRunner {
  private readonly commands = new Map<string, { feature: string; command: Command }>();
  private readonly flows = new Map<string, Flow<string, unknown>>();
  private readonly startHandlers: PrefixHandler[] = [];
  private readonly buttonHandlers: PrefixHandler[] = [];
  private readonly idleText: NonNullable<Feature['onIdleText']>[] = [];

  constructor(
    private readonly deps: Deps,
    readonly features: Feature[],
  ) {
    const startClaims: PrefixClaim[] = [];
    const buttonClaims: PrefixClaim[] = [];
    for (const f of features) {
      for (const h of f.startHandlers ?? []) startClaims.push({ owner: f.name, prefix: h.prefix });
      for (const h of f.buttonHandlers ?? []) buttonClaims.push({ owner: f.name, prefix: h.prefix });
      for (const fl of f.flows ?? []) {
        if (this.flows.has(fl.name)) throw new Error(`flow ${fl.name} registered twice`);
        for (const p of fl.payloads ?? []) buttonClaims.push({ owner: f.name, prefix: p.prefix, shared: true });
      }
      for (const c of f.commands ?? []) {
        for (const n of c.names) {
          if (this.commands.has(n)) throw new Error(`command /${n} registered twice`);
          this.commands.set(n, { feature: f.name, command: c });
        }
      }
      for (const fl of f.flows ?? []) this.flows.set(fl.name, fl);
      this.startHandlers.push(...(f.startHandlers ?? []));
      this.buttonHandlers.push(...(f.buttonHandlers ?? []));
      if (f.onIdleText) this.idleText.push(f.onIdleText.bind(f));
    }
    assertNoPrefixCollisions('start parameter', startClaims);
    assertNoPrefixCollisions('button payload', buttonClaims);
  }

  /** Commands for menus: [{name, descriptionKey}] of those with a description. */
  menuCommands(): { name: string; descriptionKey: string }[] {
    const out: { name: string; descriptionKey: string }[] = [];
    for (const [name, { command }] of this.commands) {
      if (command.descriptionKey) out.push({ name, descriptionKey: command.descriptionKey });
    }
    return out;
  }

  async handle(inbound: Inbound): Promise<HandleResult> {
    const log = this.deps.log.child({ channel: inbound.channel, updateId: inbound.messageId });
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.handleOnce(inbound, log);
      } catch (err) {
        if (err instanceof VersionConflict && attempt < MAX_VERSION_RETRIES) continue;
        if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
        if (err instanceof DatabaseUnavailableError) throw err;
        // A failure particular to this update: log ids only, apologise, and remember the update so a
        // redelivery does not fail the same way forever.
        log.error({ err: scrub(err), kind: inbound.kind }, 'update failed');
        const locale = normalizeLocale(inbound.languageHint);
        try {
          if (inbound.messageId) await firstDelivery(this.deps.database.db, inbound.channel, inbound.messageId);
          const acc = await this.deps.database.db.query.accounts.findFirst({
            where: and(eq(accounts.channel, inbound.channel), eq(accounts.externalId, inbound.accountId)),
          });
          const t = tFor(acc?.locale ?? locale);
          return { replies: [{ text: t('common:error_apology') }], locale, duplicate: false, accountId: acc?.id };
        } catch (inner) {
          if (isDatabaseUnavailable(inner)) throw new DatabaseUnavailableError(inner);
          throw inner;
        }
      }
    }
  }

  /** What the inbound's channel can do; defaults when it is not registered here (tests driving the runner). */
  capabilitiesOf(channel: ChannelName): ChannelCapabilities {
    return this.deps.channels?.get(channel)?.capabilities ?? DEFAULT_CAPABILITIES;
  }

  private async handleOnce(received: Inbound, updateLog: FastifyBaseLogger): Promise<HandleResult> {
    const after: (() => void | Promise<void>)[] = [];
    const caps = this.capabilitiesOf(received.channel);
    let inbound = received;
    let saving: Promise<void> | undefined;
    const transaction = this.deps.database.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      // The account is created on its first update, and on every later one stamped with the time; writing again
      // after being unreachable makes it reachable again. Serialized per account (dialog-store.ts).
      const opened = await openUpdate(tx, {
        channel: inbound.channel,
        externalId: inbound.accountId,
        updateId: inbound.messageId || null,
        locale: normalizeLocale(inbound.languageHint),
        now: now.toISOString(),
        revive: inbound.kind !== 'unsupported',
      });
      if (!opened) {
        return { replies: [], locale: normalizeLocale(inbound.languageHint), duplicate: true } as HandleResult;
      }
      const { account, stored } = opened;

      const state: DialogState = {
        flow: stored?.flow ?? null,
        step: stored?.step ?? null,
        data: { ...(stored?.data ?? {}) },
      };
      inbound = resolveNumberedChoice(inbound, stored?.menu);
      const replies: Outbound[] = [];
      const ctx = this.makeContext(
        inbound,
        caps,
        account,
        tx,
        state,
        replies,
        after,
        updateLog.child({ accountId: account.id }),
      );
      await this.route(ctx);
      // Numbered here, inside the transaction, so the menu a typed number refers to commits with the step.
      const shown = numberChoices(replies, caps, ctx.t);

      // The step is saved, unless the update deleted the account (/xoadulieu). The save is not awaited here: it
      // leaves together with COMMIT (one round trip fewer per update) and is read below. If another writer moved
      // the version meanwhile — or the outbox remembered a menu for this account (its row) — the save fails, the
      // COMMIT becomes a rollback, and the update is read and run again.
      saving = saveDialogState(tx, {
        accountId: account.id,
        version: stored?.version,
        flow: state.flow,
        step: state.step,
        data: state.data,
        // Nothing shown: the menu on screen is still the last one.
        menu: replies.length === 0 ? undefined : shown.menu,
        now,
      });
      saving.catch(() => {}); // read below, after the transaction
      return { replies: shown.messages, locale: ctx.locale, duplicate: false, accountId: account.id } as HandleResult;
    });
    let result: HandleResult;
    try {
      result = await transaction;
      await saving;
    } catch (err) {
      if (isStateConflict(err)) throw new VersionConflict();
      throw err;
    }
    for (const fn of after) {
      try {
        await fn();
      } catch (err) {
        updateLog.warn({ err: scrub(err) }, 'after-commit hook failed');
      }
    }
    return result;
  }

  private makeContext(
    inbound: Inbound,
    capabilities: ChannelCapabilities,
    account: Account,
    tx: Tx,
    state: DialogState,
    replies: Outbound[],
    after: (() => void | Promise<void>)[],
    log: FastifyBaseLogger,
  ): DialogContext<string> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const runner = this;
    const locale = normalizeLocale(account.locale);
    const memos = new Map<string, Promise<unknown>>();
    const ctx: DialogContext<string> = {
      inbound,
      channel: inbound.channel,
      capabilities,
      account,
      tx,
      deps: this.deps,
      log,
      t: tFor(locale),
      locale,
      state,
      get data(): unknown {
        return state.data;
      },
      reply: (...m) => replies.push(...m),
      async go(flow, step, data) {
        // A Flow object must be the one registered; a FlowRef (a name) must name a registered flow.
        const registered = runner.flows.get(flow.name);
        if (!registered || ('steps' in flow && registered !== (flow as unknown)))
          throw new Error(`unknown flow ${flow.name}`);
        state.flow = flow.name;
        state.step = step;
        // Flow data is a JSON object kept in dialog_states.data.
        state.data = (data ?? {}) as Record<string, unknown>;
        await runner.stepOf(state)!.ask(ctx);
      },
      async goto(step) {
        if (!state.flow) throw new Error('goto outside a flow');
        state.step = step;
        const s = runner.stepOf(state);
        if (!s) throw new Error(`unknown step ${state.flow}.${step}`);
        await s.ask(ctx);
      },
      async repeat() {
        await runner.stepOf(state)?.ask(ctx);
      },
      end() {
        state.flow = null;
        state.step = null;
        state.data = {};
      },
      async setLocale(l) {
        const [row] = await tx.update(accounts).set({ locale: l }).where(eq(accounts.id, ctx.account.id)).returning();
        if (row) ctx.account = row;
        (ctx as { locale: Locale }).locale = l;
        (ctx as { t: T }).t = tFor(l);
      },
      afterCommit(fn) {
        after.push(fn);
      },
      memo<V>(key: string, load: () => Promise<V>): Promise<V> {
        let p = memos.get(key) as Promise<V> | undefined;
        if (!p) memos.set(key, (p = load()));
        return p;
      },
      async runCommand(name, args = '') {
        const entry = runner.commands.get(name);
        if (!entry) throw new Error(`unknown command ${name}`);
        await entry.command.run(ctx, args);
      },
      async availableCommands() {
        const out: Command[] = [];
        for (const { command } of new Set(runner.commands.values())) {
          if (!(command.helpKey ?? command.descriptionKey) || out.includes(command)) continue;
          if (command.allowed && !(await command.allowed(ctx))) continue;
          out.push(command);
        }
        return out;
      },
      async runStart(param) {
        const h = matchPrefix(runner.startHandlers, param);
        if (!h) throw new Error(`no start handler for ${param}`);
        await h.handler.run(ctx, h.rest);
      },
    };
    return ctx;
  }

  private stepOf(state: DialogState): Step<string, unknown> | undefined {
    if (!state.flow || !state.step) return undefined;
    return this.flows.get(state.flow)?.steps[state.step];
  }

  private async route(ctx: DialogContext<string>): Promise<void> {
    const inbound = ctx.inbound;
    switch (inbound.kind) {
      case 'follow':
        return this.runDefault(ctx, 'start');
      case 'unsupported':
        ctx.reply({ text: ctx.t('common:unsupported') });
        return;
      case 'start': {
        const param = inbound.param.trim();
        if (!param) return this.runDefault(ctx, 'start');
        const h = matchPrefix(this.startHandlers, param);
        if (h) return h.handler.run(ctx, h.rest);
        ctx.reply({ text: ctx.t('common:unknown_start') });
        return this.runDefault(ctx, 'start');
      }
      case 'button': {
        const h = matchPrefix(this.buttonHandlers, inbound.payload);
        if (h) return h.handler.run(ctx, h.rest);
        const step = this.stepOf(ctx.state);
        if (step) return step.handle(ctx, { kind: 'button', payload: inbound.payload });
        // A button from a finished conversation: show the menu rather than guess.
        return this.runDefault(ctx, 'help');
      }
      case 'contact': {
        const step = this.stepOf(ctx.state);
        if (step)
          return step.handle(ctx, { kind: 'contact', phone: inbound.phone, isOwn: inbound.isOwn, name: inbound.name });
        return this.runDefault(ctx, 'help');
      }
      case 'text': {
        const text = inbound.text.trim();
        const cmd = parseCommand(text);
        if (cmd) {
          const entry = this.commands.get(cmd.name);
          if (entry && (!entry.command.allowed || (await entry.command.allowed(ctx)))) {
            return entry.command.run(ctx, cmd.args);
          }
          ctx.reply({ text: ctx.t('common:unknown_command') });
          return;
        }
        const step = this.stepOf(ctx.state);
        if (step) return step.handle(ctx, { kind: 'text', text });
        if (ctx.state.flow) ctx.end(); // state from a flow that no longer exists
        for (const fn of this.idleText) {
          if (await fn(ctx, text)) return;
        }
        return this.runDefault(ctx, 'help');
      }
    }
  }

  private async runDefault(ctx: DialogContext, name: 'start' | 'help'): Promise<void> {
    const entry = this.commands.get(name);
    if (entry) return entry.command.run(ctx, '');
    ctx.reply({ text: ctx.t('common:menu') });
  }
}

/** "/khaibao@my_bot args" → {name: 'khaibao', args}; "/Thông_Báo" → 'thong_bao': names are matched folded. */
export function parseCommand(text: string): { name: string; args: string } | undefined {
  const m = /^\/([A-Za-z0-9_À-ỹ]+)(?:@[A-Za-z0-9_]+)?(?:\s+([\s\S]*))?$/u.exec(text);
  if (!m) return undefined;
  return { name: foldText(m[1]!), args: (m[2] ?? '').trim() };
}

function matchPrefix(handlers: PrefixHandler[], value: string): { handler: PrefixHandler; rest: string } | undefined {
  for (const handler of handlers) {
    for (const sep of ['_', ':', '-']) {
      if (value.startsWith(handler.prefix + sep)) return { handler, rest: value.slice(handler.prefix.length + 1) };
    }
    if (value === handler.prefix) return { handler, rest: '' };
  }
  return undefined;
}

/** Errors may carry query parameters (personal data): log the message and code only. */
export function scrub(err: unknown): { message: string; code?: string; name?: string; stack?: string } {
  const e = err as { message?: string; code?: string; name?: string; stack?: string };
  // The stack starts with the message, which may span lines (drizzle puts "params: …" on the second): frames only.
  const frames = e?.stack
    ?.split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 3)
    .join('\n');
  return {
    message: String(e?.message ?? err)
      .slice(0, 300)
      .replace(/params: .*/s, ''),
    code: e?.code,
    name: e?.name,
    stack: frames,
  };
}
