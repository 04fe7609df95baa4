/**
 * The docs build's own checks (tools/typedoc/workspace-docs.mjs), on a two-package workspace in
 * `fixture/`: TypeDoc names the project after the fixture's root package, as it does the
 * repository's, so its own notExported check skips both packages; the plugin must not.
 */
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { Application, type DocumentReflection, Logger, LogLevel, ReflectionKind, TSConfigReader, type ProjectReflection, type TypeDocOptions } from 'typedoc';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = join(here, 'fixture');
const plugin = join(here, 'workspace-docs.mjs');
/** How the plugin names the guide in a warning: its path from the working directory. */
const guide = relative(process.cwd(), join(fixture, 'docs/guide.md'));

class CollectingLogger extends Logger {
  readonly messages: string[] = [];
  override log(message: string, level: LogLevel): void {
    super.log(message, level);
    if (level >= LogLevel.Warn) this.messages.push(message);
  }
}

async function build(options: Partial<TypeDocOptions> & Record<string, unknown>): Promise<{ project: ProjectReflection; warnings: string[] }> {
  // Only the tsconfig reader: the default readers would take vitest's argv and the repository's typedoc.json.
  const app = await Application.bootstrapWithPlugins(
    {
      entryPoints: [join(fixture, 'widgets/src/index.ts'), join(fixture, 'gadgets/src/index.ts')],
      tsconfig: join(fixture, 'tsconfig.json'),
      readme: 'none',
      projectDocuments: [join(fixture, 'docs/guide.md')],
      skipErrorChecking: true,
      validation: { notExported: true, notDocumented: false, invalidLink: true, invalidPath: true },
      ...options,
    },
    [new TSConfigReader()],
  );
  const logger = new CollectingLogger();
  app.logger = logger;
  const project = await app.convert();
  if (project === undefined) throw new Error(`TypeDoc did not convert the fixture: ${logger.messages.join('\n')}`);
  app.validate(project);
  return { project, warnings: logger.messages };
}

/** Where each Markdown link of the guide leads: a reflection's full name, or the file TypeDoc would copy. */
function guideLinks(project: ProjectReflection): Map<string, string> {
  const [guideDocument] = project.getReflectionsByKind(ReflectionKind.Document) as DocumentReflection[];
  const links = new Map<string, string>();
  for (const part of guideDocument!.content) {
    if (part.kind !== 'relative-link' || typeof part.target !== 'number') continue;
    const target = project.files.resolve(part.target, project);
    const anchor = part.targetAnchor === undefined ? '' : `#${part.targetAnchor}`;
    links.set(part.text, typeof target === 'object' ? target.getFriendlyFullName() : `file ${target}${anchor}`);
  }
  return links;
}

describe('tools/typedoc/workspace-docs.mjs', () => {
  it("TypeDoc alone misses a public type that no entry point exports, in a workspace's package", async () => {
    const { warnings } = await build({});
    expect(warnings.filter((warning) => warning.includes('Gadget'))).toEqual([]);
  });

  it('warns when a public type of a workspace package refers to a type no entry point exports', async () => {
    const { warnings } = await build({ plugin: [plugin], workspacePackages: ['@fixture/widgets', '@fixture/gadgets'] });
    expect(warnings).toContain('Gadget, defined in @fixture/gadgets/src/gadget.ts, is referenced by @fixture/gadgets.makeGadget but not exported by any entry point');
  });

  it('takes exceptions from workspaceIntentionallyNotExported, and warns about one never used', async () => {
    const { warnings } = await build({
      plugin: [plugin],
      workspacePackages: ['@fixture/gadgets'],
      workspaceIntentionallyNotExported: ['src/gadget.ts:Gadget', 'src/gadget.ts:Sprocket'],
    });
    expect(warnings.filter((warning) => warning.includes('not exported by any entry point'))).toEqual([]);
    expect(warnings).toContain('workspaceIntentionallyNotExported: src/gadget.ts:Sprocket is never referenced; remove it');
  });

  it("links a guide's file.ts#Symbol to the symbol's page, and warns about a missing symbol or a bare source file", async () => {
    const { project, warnings } = await build({ plugin: [plugin], workspacePackages: ['@fixture/widgets', '@fixture/gadgets'] });
    const links = guideLinks(project);
    expect(links.get('../widgets/src/widget.ts#Widget')).toBe('@fixture/widgets.Widget');
    expect(links.get('../widgets/src/widget.ts#Widget.width')).toBe('@fixture/widgets.Widget.width');
    expect(links.get('../widgets/src/widget.ts#WidgetOptions.width')).toBe('@fixture/widgets.WidgetOptions.width');
    expect(links.get('../widgets/src/index.ts')).toBe('@fixture/widgets');
    expect(warnings).toContain(`${guide} links to ../widgets/src/widget.ts#Sprocket, but no exported symbol Sprocket is declared in that file`);
    expect(warnings).toContain(`${guide} links to ../widgets/src/widget.ts, a source file that is no package entry point: add #SymbolName`);
  });

  it("names a guide's page by its # heading", async () => {
    const { project } = await build({ plugin: [plugin] });
    expect(project.getReflectionsByKind(ReflectionKind.Document).map((document) => document.name)).toEqual(['A guide']);
  });
});
