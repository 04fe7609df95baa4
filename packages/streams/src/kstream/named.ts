/** Gives a DSL operator's node an explicit name, for readable topologies and stable internal topic names. */

/** An explicit node name. */
export interface Named<N extends string = string> {
  /**
   * Replaces the generated, position-numbered name (`KSTREAM-FILTER-0000000003`), so the node
   * keeps its name when operators are added upstream. Must be unique in the topology.
   */
  readonly name: N;
}

/** Builds {@link Named} options. */
export const Named = {
  /** Names the operator's node `name`. */
  as<N extends string>(name: N): Named<N> {
    return { name };
  },
};
