import { callbackData } from '../../core/callback-data.js';
import { defineFlow, type DialogContext, type Feature } from '../../core/dialog.js';
import { AppError } from '../../core/errors.js';
import { formatDateTime } from '../../core/i18n.js';
import { isTransportKind } from '../venues/kinds.js';
import { venuesOfAccount } from '../venues/store.js';
import { createTrip, tripsOfVehicle } from './store.js';

/** «Chọn phương tiện» buttons: `tv:<venueId>`. */
const VEHICLE = callbackData('tv');
const FLOW = 'trip';

interface TripData {
  venueId: string;
}

const VN_OFFSET_MS = 7 * 3_600_000;

/**
 * The owner's typed trip: «[dd/mm[/yyyy]] HH:MM HH:MM» — departure then arrival, Vietnam time; no date = today;
 * an arrival not after the departure is the next day (an overnight coach). Undefined when it does not parse.
 */
export function parseTripTimes(text: string, now: Date): { departsAt: Date; arrivesAt: Date } | undefined {
  const m =
    /^\s*(?:(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?\s+)?(\d{1,2})[:hH.](\d{2})\s*(?:-|–|→|đến|den|to)?\s*(\d{1,2})[:hH.](\d{2})\s*$/i.exec(
      text,
    );
  if (!m) return undefined;
  const local = new Date(now.getTime() + VN_OFFSET_MS);
  const year = m[3] ? Number(m[3]) : local.getUTCFullYear();
  const month = m[2] ? Number(m[2]) - 1 : local.getUTCMonth();
  const day = m[1] ? Number(m[1]) : local.getUTCDate();
  const [dh, dm, ah, am] = [m[4], m[5], m[6], m[7]].map(Number) as [number, number, number, number];
  if (dh > 23 || ah > 23 || dm > 59 || am > 59 || month > 11 || day < 1 || day > 31) return undefined;
  const midnight = Date.UTC(year, month, day) - VN_OFFSET_MS;
  if (new Date(midnight + VN_OFFSET_MS).getUTCDate() !== day) return undefined; // 31/02
  const departsAt = new Date(midnight + (dh * 60 + dm) * 60_000);
  let arrivesAt = new Date(midnight + (ah * 60 + am) * 60_000);
  if (arrivesAt.getTime() <= departsAt.getTime()) arrivesAt = new Date(arrivesAt.getTime() + 86_400_000);
  return { departsAt, arrivesAt };
}

async function ownedVehicles(ctx: DialogContext) {
  return (await venuesOfAccount(ctx.tx, ctx.account.id)).filter((v) => v.role === 'owner' && isTransportKind(v.kind));
}

/** /chuyen: the owner adds a trip of one of their vehicles (departure and arrival). */
async function startTrip(ctx: DialogContext): Promise<void> {
  const vehicles = await ownedVehicles(ctx);
  if (vehicles.length === 0) {
    ctx.reply({ text: ctx.t('transport:no_vehicles') });
    return;
  }
  if (vehicles.length === 1) return ctx.go(tripFlow, 'times', { venueId: vehicles[0]!.id });
  ctx.reply({
    text: ctx.t('transport:pick_vehicle'),
    buttons: vehicles
      .slice(0, 20)
      .map((v) => [{ label: v.plate ? `${v.name} (${v.plate})` : v.name, payload: VEHICLE.data(v.id) }]),
  });
}

async function pickVehicle(ctx: DialogContext, venueId: string): Promise<void> {
  const vehicle = (await ownedVehicles(ctx)).find((v) => v.id === venueId);
  if (!vehicle) {
    ctx.reply({ text: ctx.t('venues:not_yours') });
    return;
  }
  await ctx.go(tripFlow, 'times', { venueId: vehicle.id });
}

const tripFlow = defineFlow<TripData>()(FLOW, {
  times: {
    ask: async (ctx) => {
      const vehicle = (await ownedVehicles(ctx)).find((v) => v.id === ctx.data.venueId);
      ctx.reply({ text: ctx.t('transport:ask_times', { vehicle: vehicle?.name ?? '' }) });
    },
    handle: async (ctx, input) => {
      const text = input.kind === 'text' ? input.text.trim() : '';
      if (/^(h[uủ]y|huy|cancel)$/i.test(text)) {
        ctx.end();
        ctx.reply({ text: ctx.t('transport:trip_cancelled') });
        return;
      }
      const now = ctx.deps.clock.now();
      const times = parseTripTimes(text, now);
      if (!times) {
        ctx.reply({ text: ctx.t('transport:bad_times', { text: text.slice(0, 30) }) });
        return ctx.goto('times');
      }
      const vehicle = (await ownedVehicles(ctx)).find((v) => v.id === ctx.data.venueId);
      ctx.end();
      if (!vehicle) {
        ctx.reply({ text: ctx.t('venues:not_yours') });
        return;
      }
      try {
        await createTrip(ctx.tx, vehicle.id, times);
      } catch (err) {
        if (err instanceof AppError && err.code === 'TRIP_EXISTS') {
          ctx.reply({ text: ctx.t('transport:trip_exists', { departs: formatDateTime(times.departsAt, ctx.locale) }) });
          return;
        }
        throw err;
      }
      const upcoming = await tripsOfVehicle(
        ctx.tx,
        vehicle.id,
        new Date(now.getTime() - 3_600_000),
        new Date(now.getTime() + 7 * 86_400_000),
        10,
      );
      ctx.reply({
        text: [
          ctx.t('transport:trip_added', {
            vehicle: vehicle.name,
            departs: formatDateTime(times.departsAt, ctx.locale),
            arrives: formatDateTime(times.arrivesAt, ctx.locale),
          }),
          ctx.t('transport:upcoming_title'),
          ...upcoming.map((t) =>
            ctx.t('transport:upcoming_line', {
              departs: formatDateTime(t.departsAt, ctx.locale),
              arrives: formatDateTime(t.arrivesAt, ctx.locale),
            }),
          ),
        ].join('\n'),
      });
    },
  },
});

export function transportFeature(): Feature {
  return {
    name: 'transport',
    commands: [{ names: ['chuyen', 'trip'], descriptionKey: 'transport:cmd_description', run: startTrip }],
    buttonHandlers: [{ prefix: VEHICLE.prefix, run: pickVehicle }],
    flows: [tripFlow],
  };
}
