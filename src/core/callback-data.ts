/**
 * Button payloads and start parameters: `<prefix><separator><rest>`. Every feature builds and reads its payloads
 * through one of these, and the dialog runner refuses at start-up two owners claiming the same prefix, so routing
 * never depends on which feature happened to be registered first.
 */
export interface CallbackData {
  readonly prefix: string;
  readonly separator: string;
  /** The payload for these parts: `prefix:a:b`. */
  data(...parts: (string | number)[]): string;
  /** What follows `prefix<separator>` (the whole payload being `prefix` gives ''), or undefined when not ours. */
  rest(payload: string): string | undefined;
}

/** Prefixes are letters and digits only, so one can never be the start of another's payload. */
const PREFIX = /^[a-z][a-z0-9]*$/i;

export function callbackData(prefix: string, separator: ':' | '.' | '_' = ':'): CallbackData {
  if (!PREFIX.test(prefix)) throw new Error(`callback prefix "${prefix}" must be letters and digits`);
  const head = prefix + separator;
  return {
    prefix,
    separator,
    data: (...parts) => [prefix, ...parts].join(separator),
    rest: (payload) => (payload === prefix ? '' : payload.startsWith(head) ? payload.slice(head.length) : undefined),
  };
}

export interface PrefixClaim {
  /** the feature (or flow) claiming it, for the error message */
  owner: string;
  prefix: string;
  /** a flow's step buttons may share the prefix of their own feature's button handler (it routes them back) */
  shared?: boolean;
}

/**
 * Throws when a prefix is malformed or claimed by two owners in one domain ('start' parameters, 'button'
 * payloads). The runner matches `prefix_`, `prefix:` and `prefix-`, so with letters-and-digits prefixes the only
 * possible collision is the same prefix twice — which today would silently go to whichever came first.
 */
export function assertNoPrefixCollisions(domain: string, claims: PrefixClaim[]): void {
  const seen = new Map<string, PrefixClaim>();
  for (const c of claims) {
    if (!PREFIX.test(c.prefix))
      throw new Error(`${domain} prefix "${c.prefix}" of ${c.owner} must be letters and digits`);
    const key = c.prefix.toLowerCase();
    const before = seen.get(key);
    if (before && !(before.owner === c.owner && (before.shared || c.shared))) {
      throw new Error(`${domain} prefix "${c.prefix}" claimed by both ${before.owner} and ${c.owner}`);
    }
    if (!before || !c.shared) seen.set(key, c);
  }
}
