/** A node of an instantiated topology: a processor and its children, for one task. */
import type { SampledStat } from '../../metrics/internal/sampled-stat.js';
import type { Processor } from '../processor.js';

export class ProcessorNode {
  readonly children: ProcessorNode[] = [];
  readonly childByName = new Map<string, ProcessorNode>();
  /**
   * End-to-end latency of the records this node processed, when it is a terminal processor (no
   * children, not a sink: sinks record their own), as Kafka records it after a terminal node ran.
   */
  endToEndLatency: SampledStat | undefined = undefined;

  constructor(
    readonly name: string,
    readonly processor: Processor<any, any, any, any>,
    readonly storeNames: ReadonlySet<string>,
  ) {}

  addChild(child: ProcessorNode): void {
    this.children.push(child);
    this.childByName.set(child.name, child);
  }
}
