/** Gives a DSL operator's node an explicit name, for readable topologies and stable internal topic names. */

/** An explicit node name. */
export interface Named<N extends string = string> {
  readonly name: N;
}

/** Builds {@link Named} options. */
export const Named = {
  /** Names the operator's node `name`. */
  as<N extends string>(name: N): Named<N> {
    return { name };
  },
};
