// A TypeDoc plugin for the one API site of every workspace package (typedoc.json loads it).
//
// 1. Guides link to API symbols with plain Markdown links that also work on GitHub:
//    [`KafkaStreams`](../packages/kafka/src/kafka-streams.ts#KafkaStreams) opens the source file on
//    GitHub and the symbol's page on the site; `#KafkaStreamsOptions.numStreamThreads` reaches a
//    member. A link to a package's entry file (`../packages/level/src/index.ts`) is the package's
//    page (TypeDoc does that itself). A link to a `.ts` file that names no documented symbol is a
//    warning, so with `treatWarningsAsErrors` a renamed symbol breaks the build, not the link.
// 2. `validation.notExported` for every workspace package: TypeDoc checks only the types of the
//    project's own package.json (here the private root, `tributary`), so a public type that
//    refers to an unexported `@tributary/*` type would pass silently. Exceptions go in
//    `workspaceIntentionallyNotExported`, as `path/suffix.ts:Name` (TypeDoc's own option warns
//    about entries it never consults, so it stays empty).
// 3. A guide's page is named by its `# Title` and its file by its path: `documents/getting-started.html`
//    (router "workspace").
import { relative } from 'node:path';
import { Application, Converter, KindRouter, ParameterType, ReflectionKind, makeRecursiveVisitor } from 'typedoc';

const SOURCE_FILE = /\.(?:ts|mts|cts|tsx)$/;
const TOP_LEVEL_KINDS =
  ReflectionKind.Class |
  ReflectionKind.Interface |
  ReflectionKind.TypeAlias |
  ReflectionKind.Function |
  ReflectionKind.Variable |
  ReflectionKind.Enum |
  ReflectionKind.Namespace;

/** Guide → the base name of its page, from its file (its name is its title). */
const documentFileNames = new WeakMap();

/** TypeDoc's default router, but a guide's page is named after its file, not its title. */
class WorkspaceRouter extends KindRouter {
  getIdealBaseName(reflection) {
    const fileName = documentFileNames.get(reflection);
    return fileName ? `documents/${fileName}` : super.getIdealBaseName(reflection);
  }
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.defineRouter('workspace', WorkspaceRouter);
  app.options.addDeclaration({
    name: 'workspacePackages',
    help: 'Package names whose types must be exported by an entry point when public types refer to them.',
    type: ParameterType.Array,
    defaultValue: [],
  });
  app.options.addDeclaration({
    name: 'workspaceIntentionallyNotExported',
    help: 'path/suffix.ts:Name of workspace types that public types may refer to without exporting them.',
    type: ParameterType.Array,
    defaultValue: [],
  });

  /** Problems found while converting, reported with the validation warnings. */
  const linkProblems = [];

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    linkProblems.length = 0;
    const project = context.project;
    const symbolsByFile = indexTopLevelSymbols(project);
    const rewrite = (parts, where) => rewriteSourceLinks(project, symbolsByFile, parts, where, linkProblems);
    if (project.readme) rewrite(project.readme, 'The README');
    for (const document of project.getReflectionsByKind(ReflectionKind.Document)) {
      const file = project.files.getReflectionPath(document);
      rewrite(document.content, file === undefined ? `Document "${document.name}"` : relative(process.cwd(), file));
      const title = firstHeading(document.content);
      if (title) {
        // TypeDoc named it after its path: docs/getting-started, examples/product-analytics/README.
        documentFileNames.set(document, document.name.replace(/\/README$/i, '').split('/').pop().toLowerCase());
        document.name = title;
      }
    }
  });

  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    for (const problem of linkProblems) app.logger.validationWarning(problem);
    if (app.options.getValue('validation').notExported) validateWorkspaceExports(app, project);
  });
}

/**
 * A guide's `# Title` line, which names its page and its entry in the navigation (TypeDoc would
 * name them after the file's path, `docs/getting-started`, unless the file had a front matter
 * title, which GitHub shows as a table above the guide).
 */
function firstHeading(parts) {
  let firstLine = '';
  for (const part of parts) {
    const end = part.text.indexOf('\n');
    firstLine += end === -1 ? part.text : part.text.slice(0, end);
    if (end !== -1) break;
  }
  const heading = /^# (.+)$/.exec(firstLine.trim());
  return heading ? heading[1].replaceAll('`', '').trim() : undefined;
}

/** Absolute source path → top-level documented reflections declared in it (re-exports excluded). */
function indexTopLevelSymbols(project) {
  const byFile = new Map();
  for (const reflection of project.getReflectionsByKind(TOP_LEVEL_KINDS)) {
    if (!reflection.parent?.kindOf(ReflectionKind.SomeModule | ReflectionKind.Project)) continue;
    const fileName = project.getSymbolIdFromReflection(reflection)?.fileName;
    if (!fileName) continue;
    const list = byFile.get(fileName) ?? [];
    list.push(reflection);
    byFile.set(fileName, list);
  }
  return byFile;
}

function rewriteSourceLinks(project, symbolsByFile, parts, where, problems) {
  for (const part of parts) {
    if (part.kind !== 'relative-link' || typeof part.target !== 'number') continue;
    const path = project.files.resolvePath(part.target);
    if (!path || !SOURCE_FILE.test(path)) continue;
    const linked = project.files.resolve(part.target, project);
    const entryPoint = typeof linked === 'object' && linked.kindOf(ReflectionKind.SomeModule | ReflectionKind.Project);
    if (entryPoint && !part.targetAnchor) continue; // TypeDoc links it to the module's page
    if (!part.targetAnchor) {
      problems.push(`${where} links to ${part.text}, a source file that is no package entry point: add #SymbolName`);
      continue;
    }
    const [symbolName, ...memberNames] = part.targetAnchor.split('.');
    let target = (symbolsByFile.get(path) ?? []).find((reflection) => reflection.name === symbolName);
    for (const memberName of memberNames) target = memberOf(target, memberName);
    if (!target) {
      problems.push(`${where} links to ${part.text}, but no exported symbol ${part.targetAnchor} is declared in that file`);
      continue;
    }
    // One file id per symbol, as file ids carry no anchor (and TypeDoc cuts a path at '#').
    const symbolPath = `${path}::${part.targetAnchor}`;
    project.files.registerReflectionPath(symbolPath, target);
    part.target = project.files.registerAbsolute(symbolPath).target;
    part.targetAnchor = undefined;
    // The bare file now maps to a page too, so TypeDoc does not copy the source into the site.
    if (!entryPoint) project.files.registerReflectionPath(path, target);
  }
}

/** A member of a class or interface, or of a variable's object type (`LevelStores.dslStoreSuppliers`). */
function memberOf(reflection, name) {
  if (!reflection) return undefined;
  const member = reflection.getChildByName([name]);
  if (member) return member;
  return reflection.type?.type === 'reflection' ? reflection.type.declaration.getChildByName([name]) : undefined;
}

/** TypeDoc's notExported check, for the types of every package in `workspacePackages`. */
function validateWorkspaceExports(app, project) {
  const packages = new Set(app.options.getValue('workspacePackages'));
  const exceptions = app.options.getValue('workspaceIntentionallyNotExported').map((entry) => {
    const colon = entry.lastIndexOf(':');
    return { entry, file: entry.slice(0, colon), name: entry.slice(colon + 1), used: false };
  });
  const warned = new Set();
  const check = (owner) =>
    makeRecursiveVisitor({
      reference(type) {
        if (type.reflection || type.externalUrl || type.isIntentionallyBroken() || !type.symbolId) return;
        const { packageName, packagePath } = type.symbolId;
        if (!packages.has(packageName) || project.symbolIdHasBeenRemoved(type.symbolId)) return;
        const exception = exceptions.find((e) => e.name === type.qualifiedName && `${packageName}/${packagePath}`.endsWith(e.file));
        if (exception) {
          exception.used = true;
          return;
        }
        const key = `${packageName}/${packagePath}:${type.qualifiedName}`;
        if (warned.has(key)) return;
        warned.add(key);
        app.logger.validationWarning(
          `${type.qualifiedName}, defined in ${packageName}/${packagePath}, is referenced by ${owner.getFriendlyFullName()} but not exported by any entry point`,
        );
      },
    });
  // The types TypeDoc's own check reads: not `extends` clauses, whose members are documented on
  // the subclass anyway.
  for (const reflection of Object.values(project.reflections)) {
    const visitor = check(reflection);
    for (const type of [reflection.type, reflection.default, reflection.overwrites, ...(reflection.implementedTypes ?? [])]) {
      if (typeof type?.visit === 'function') type.visit(visitor);
    }
  }
  for (const exception of exceptions) {
    if (!exception.used) app.logger.validationWarning(`workspaceIntentionallyNotExported: ${exception.entry} is never referenced; remove it`);
  }
}
