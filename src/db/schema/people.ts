import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Districts (quận, huyện, thị xã, thành phố thuộc tỉnh) with their General Statistics Office codes, loaded with
 * their wards from scripts/data/vn-admin-units.tsv (src/features/wards).
 */
export const districts = pgTable(
  'districts',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    provinceCode: text('province_code').notNull(),
    province: text('province').notNull(),
    /** name without diacritics and without "quận"/"huyện", lower case, for matching what people type */
    searchName: text('search_name').notNull(),
  },
  (t) => [index('districts_search_idx').on(t.searchName)],
);

/** Wards (phường, xã, thị trấn): the home province's are loaded at start, others by `npm run wards:import`. */
export const wards = pgTable(
  'wards',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    /** the district's and the province's names, as shown next to the ward */
    district: text('district').notNull(),
    province: text('province').notNull(),
    /** null only for wards imported before districts existed */
    districtCode: text('district_code').references(() => districts.code),
    /** name without diacritics, lower case, for matching what people type */
    searchName: text('search_name').notNull(),
    /**
     * the ward health station's phone (trạm y tế phường/xã), set by `PATCH /api/v1/wards/:code`; alerts and
     * refusals give it to the ward's residents, the city hotline (HOTLINE) when null
     */
    hotline: text('hotline'),
  },
  (t) => [index('wards_search_idx').on(t.searchName), index('wards_district_idx').on(t.districtCode)],
);

/**
 * One chat identity: (channel, external id). A person reaches the service through accounts;
 * messages are sent to accounts.
 */
export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    channel: text('channel').notNull(), // 'telegram' | 'zalo' | 'web'
    externalId: text('external_id').notNull(),
    locale: text('locale').notNull().default('vi'),
    consentedAt: timestamp('consented_at', { withTimezone: true }),
    /** the account holder's own person record, once they have declared */
    personId: uuid('person_id'),
    /** set when the platform says we may not message them (Telegram 403, Zalo unfollow) */
    unreachableAt: timestamp('unreachable_at', { withTimezone: true }),
    unreachableReason: text('unreachable_reason'),
    /** last message from the user: Zalo only lets an OA answer freely inside a window after it */
    lastInboundAt: timestamp('last_inbound_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('accounts_channel_external_uq').on(t.channel, t.externalId)],
);

/**
 * A person: the account holder or a family member declared by them (khai hộ).
 * National ID numbers are stored encrypted (AES-256-GCM) plus their last 4 digits.
 */
export const persons = pgTable(
  'persons',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /**
     * the chat account that declared the person; null for someone declared by venue staff at the door (no
     * phone, no chat account: checkin/scanner.ts) — such a person belongs to no household and no account's menus —
     * and for a person held after their account was deleted (/xoadulieu during an open case or an exposure
     * follow-up): see `holdUntil`
     */
    ownerAccountId: uuid('owner_account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    isSelf: boolean('is_self').notNull().default(false),
    fullName: text('full_name').notNull(),
    birthYear: smallint('birth_year').notNull(),
    gender: text('gender').notNull(), // 'male' | 'female' | 'other'
    phone: text('phone'), // +84…
    /**
     * true when the platform vouched for the number (Telegram's contact share, Zalo's user_submit_info); typed
     * numbers are not. A case recorded by phone links only verified owners automatically (issue 15).
     */
    phoneVerified: boolean('phone_verified').notNull().default(false),
    /** where the phone came from: 'telegram_contact' | 'zalo_submit_info' | 'typed' (null: no phone or older rows) */
    phoneSource: text('phone_source'),
    idNumberEnc: text('id_number_enc'),
    idNumberLast4: text('id_number_last4'),
    /** HMAC-SHA256 of the ID number under the ID lookup key (people/national-id.ts): finds a card's person */
    idNumberHash: text('id_number_hash'),
    idKind: text('id_kind'), // 'cmnd' | 'cccd' | 'passport'
    wardCode: text('ward_code').references(() => wards.code),
    /** GSO province code of someone living outside the city (their ward is then null) */
    provinceCode: text('province_code'),
    street: text('street'),
    vaccineDoses: smallint('vaccine_doses'),
    /** nationality as answered (the button gives «Việt Nam», the default) */
    nationality: text('nationality').notNull().default('Việt Nam'),
    /** chronic conditions (bệnh nền, validators.ts CONDITIONS); null = never asked, {} = none */
    chronicConditions: text('chronic_conditions').array(),
    /** the «khác» condition's short text */
    chronicOther: text('chronic_other'),
    /**
     * Set when the account asked for deletion while this person was an open case or in an exposure follow-up
     * (people/hold.ts): everything else was deleted at once, the person row (name, birth year, gender, phone, ward)
     * is kept with the case link, the contacts and the visits inside the windows until the retention job purges
     * it — at its first run after this time once no open case names the person.
     */
    holdUntil: timestamp('hold_until', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('persons_owner_idx').on(t.ownerAccountId),
    // One own person per account: what the account's `self` is (people/store.ts accountPersons, selfOfAccount).
    uniqueIndex('persons_one_self_idx')
      .on(t.ownerAccountId)
      .where(sql`${t.isSelf}`),
    index('persons_phone_idx').on(t.phone),
    index('persons_ward_idx').on(t.wardCode),
    index('persons_id_number_hash_idx').on(t.idNumberHash),
  ],
);

/** One health declaration (the national "Khai báo toàn dân" form). Kept 28 days. */
export const declarations = pgTable(
  'declarations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    declaredByAccountId: uuid('declared_by_account_id').references(() => accounts.id, { onDelete: 'set null' }),
    travel: boolean('travel').notNull(),
    travelPlaces: text('travel_places'),
    symptoms: text('symptoms')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    contactCase: boolean('contact_case').notNull(),
    contactOutbreakArea: boolean('contact_outbreak_area').notNull(),
    contactSymptoms: boolean('contact_symptoms').notNull(),
    /** the «khác» symptom's short text */
    symptomsOther: text('symptoms_other'),
    /** the profile answers at the time of the declaration, as the national form records them */
    vaccineDoses: smallint('vaccine_doses'),
    nationality: text('nationality'),
    chronicConditions: text('chronic_conditions').array(),
    chronicOther: text('chronic_other'),
    declaredAt: timestamp('declared_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('declarations_person_at_idx').on(t.personId, t.declaredAt)],
);

/** Conversation state per (channel, account); version guards against lost updates. Kept 7 days idle. */
export const dialogStates = pgTable('dialog_states', {
  accountId: uuid('account_id')
    .primaryKey()
    .references(() => accounts.id, { onDelete: 'cascade' }),
  flow: text('flow'),
  step: text('step'),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  version: integer('version').notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /**
   * Payloads of the choices last shown as numbered options (channels without reliable buttons), in on-screen
   * order, so a typed "2" means the second one on any instance. Null when the last message offered none.
   * Labels can hold names (family members): the row goes with the account.
   */
  menu: jsonb('menu').$type<string[]>(),
});

export type Account = typeof accounts.$inferSelect;
export type Person = typeof persons.$inferSelect;
export type Declaration = typeof declarations.$inferSelect;
export type Ward = typeof wards.$inferSelect;
export type District = typeof districts.$inferSelect;

/**
 * Messages the service originates for web chat accounts (alerts, announcements): the web page has no push
 * channel, so the outbox delivers here and the page collects them. Deleted when collected.
 */
export const webInbox = pgTable(
  'web_inbox',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** StoredOutbound[] (src/core/messages.ts) */
    payload: jsonb('payload').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('web_inbox_account_idx').on(t.accountId, t.createdAt)],
);

/**
 * Web Push subscriptions of web chat accounts (src/channels/web/push.ts): what the outbox delivers to the web
 * inbox is also pushed to each of the account's browsers. Deleted with the account, when the push service
 * answers 404/410, and by retention when no page has renewed it for a while.
 */
export const webPushSubscriptions = pgTable(
  'web_push_subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** the push service's URL for this browser; one browser, one account (the latest page that sent it) */
    endpoint: text('endpoint').notNull(),
    /** the browser's P-256 public key and auth secret (base64url), for the payload encryption (RFC 8291) */
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** last time an open page sent this subscription */
    seenAt: timestamp('seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('web_push_subscriptions_endpoint_uq').on(t.endpoint),
    index('web_push_subscriptions_account_idx').on(t.accountId),
  ],
);

/**
 * Printed cards (thẻ in Mã QR cá nhân) for people without a phone: the card's QR carries a token signed for the
 * card id (src/features/pass/token.ts, format version 2), valid CARD_VALID_DAYS. The colour is never printed:
 * the verify page reads it live. Reissuing ends the previous card (`revoked_reason = 'reissued'`); revoking ends
 * it without a successor (`'revoked'`). Deleted with the person.
 */
export const passCards = pgTable(
  'pass_cards',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    personId: uuid('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    issuedByAccountId: uuid('issued_by_account_id').references(() => accounts.id, { onDelete: 'set null' }),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    /** 'revoked' | 'reissued' */
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('pass_cards_person_idx').on(t.personId, t.issuedAt)],
);

export type PassCard = typeof passCards.$inferSelect;
