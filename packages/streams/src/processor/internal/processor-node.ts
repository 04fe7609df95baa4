/** A node of an instantiated topology: a processor and its children, for one task. */
import type { Processor } from '../processor.js';

export class ProcessorNode {
  readonly children: ProcessorNode[] = [];
  readonly childByName = new Map<string, ProcessorNode>();

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
