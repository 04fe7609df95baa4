import type { Topology } from '@tributary/streams';

/** The application id both run it under, so a run reopens the state another left (see click-count-topology.mjs). */
export declare const clickCountApplicationId: string;

/** Clicks per user in a LevelDB store, the counts to 'counts' (see click-count-topology.mjs). */
export declare function clickCountTopology(): Topology;
