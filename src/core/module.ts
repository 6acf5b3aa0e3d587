import type { FastifyInstance } from 'fastify';
import type { ChannelSender } from './channel.js';
import type { DialogRunner, Feature } from './dialog.js';

/** HTTP routes, registered in their own encapsulated context with the service's HTTP dependencies `D`. */
export type RouteModule<D> = (app: FastifyInstance, deps: D) => void | Promise<void>;

/** A background worker that starts and stops with the server. */
export interface Worker {
  name: string;
  start(): void | Promise<void>;
  /** Stop taking new work and finish (or hand back) what is in hand. */
  stop(): Promise<void>;
}

/** Where features and channels put their background work (src/workers/worker-set.ts). */
export interface Workers {
  add(worker: Worker): void;
  /**
   * A job run every `intervalMs` (first run after one interval); runs never overlap within this process. With
   * several instances on one database only the leader runs it, unless `everyInstance` (work that is per process).
   */
  every(name: string, intervalMs: number, run: () => Promise<unknown>, opts?: { everyInstance?: boolean }): void;
  /**
   * Runs `task` while this instance is the leader (one instance at a time on one database): started when it
   * becomes leader, its signal aborted when it stops leading or the server stops.
   */
  whileLeader(name: string, task: (signal: AbortSignal) => Promise<void>): void;
}

/**
 * What a feature contributes: dialog pieces (commands, flows, buttons, start handlers), HTTP routes and
 * background jobs. Built by the feature's index.ts from what it needs (src/features/index.ts hands it over);
 * order in the list matters only for idle-text handlers (first match wins).
 */
export interface FeatureModule<D> {
  feature?: Feature;
  routes?: RouteModule<D>;
  workers?: (workers: Workers) => void;
}

/** What a channel adapter contributes: an outbound sender (the outbox's port) and inbound routes. */
export interface ChannelParts<D> {
  sender?: ChannelSender;
  routes?: RouteModule<D>;
}

/** A channel adapter: inbound routes (webhooks, pages), an outbound sender, and workers (polling). */
export interface ChannelModule<D> {
  name: string;
  enabled(deps: D): boolean;
  create(deps: D, runner: DialogRunner, workers: Workers): Promise<ChannelParts<D>> | ChannelParts<D>;
}
