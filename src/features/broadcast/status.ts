export type BroadcastStatus = 'scheduled' | 'queuing' | 'sending' | 'done' | 'cancelled';
/** A broadcast in one of these may still reach someone: cancelling stops it, /huythongbao finds it. */
export const ACTIVE_STATUSES: BroadcastStatus[] = ['scheduled', 'queuing', 'sending'];
