/**
 * A small page-view pipeline: drop bot traffic, split views from clicks, and re-key clicks by
 * user, written as a user of Tributary would. `buildTopology` is pure, so tests and the CLI
 * share it.
 */
import { Branched, Consumed, Named, Produced, Serdes, StreamsBuilder, type Topology } from '@tributary/streams';

/** One interaction, as the web app sends it. */
export interface PageEvent {
  readonly userId: string;
  readonly page: string;
  readonly kind: 'view' | 'click';
  readonly userAgent: string;
  readonly timestamp: number;
}

/** A click, re-keyed by user for per-user processing downstream. */
export interface UserClick {
  readonly page: string;
  readonly at: number;
}

export const topics = {
  input: 'page-events',
  views: 'page-views',
  clicks: 'user-clicks',
} as const;

/** Builds the pipeline on `builder` and returns the topology. */
export function buildTopology(builder = new StreamsBuilder()): Topology {
  const branches = builder
    .stream(topics.input, Consumed.with(Serdes.String(), Serdes.Json<PageEvent>()))
    .filterNot((_key, event) => /bot|crawler|spider/i.test(event.userAgent), Named.as('drop-bots'))
    .split(Named.as('kind-'))
    .branch((_key, event) => event.kind === 'view', Branched.as('view'))
    .branch((_key, event) => event.kind === 'click', Branched.as('click'))
    .noDefaultBranch();

  branches['kind-view'].mapValues((event) => event.page).to(topics.views, Produced.with(Serdes.String(), Serdes.String()));
  branches['kind-click']
    .selectKey((_key, event) => event.userId)
    .mapValues((event): UserClick => ({ page: event.page, at: event.timestamp }))
    .to(topics.clicks, Produced.with(Serdes.String(), Serdes.Json<UserClick>()));
  return builder.build();
}
