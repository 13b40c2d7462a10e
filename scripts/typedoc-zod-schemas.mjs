/**
 * A typedoc plugin: the reference shows what zod schemas accept and return as TypeScript types,
 * never zod's internal types.
 *
 * - A type alias declared from a schema (`z.input<typeof s>`, `z.output<...>`, `z.infer<...>`) is
 *   documented as the type it resolves to: its fields, each with the comment written on the schema's
 *   field. So is every parameter of such a type: `register(input: RegisterCustomerInput, ...)` lists
 *   the fields it takes.
 * - An exported schema, or a function that returns one, is shown as `ZodType<Output, Input>` with
 *   the two resolved types, not as `ZodObject<{ ... }>` with zod's shape literal and enum maps.
 * - Any other `Zod...<...>` reference loses its type arguments (they would each need a comment), and
 *   a schema class (`ZodObject`, `ZodPipe`, ...) is named by what it is to a caller: a `ZodType`.
 */
import ts from 'typescript';
import { Converter, ReflectionKind, ReferenceType, makeRecursiveVisitor } from 'typedoc';

const ZOD = /^\$?Zod[A-Z]/;
/** zod's types that are not schemas, whose names stay. */
const NOT_SCHEMA = /^\$?Zod(Error|Issue|RawShape|Type)/;
/** Type references whose alias is documented by the type it resolves to. */
const RESOLVED = /^(z\.)?(input|output|infer)$/;

/** The node an alias is declared with, if it is `type X = ...`. */
function aliasTypeNode(symbol) {
  const declaration = symbol?.declarations?.find((d) => ts.isTypeAliasDeclaration(d));
  return declaration?.type;
}

/** Whether the alias is declared from a schema (`z.input<typeof s>`). */
function resolvesSchema(symbol) {
  const node = aliasTypeNode(symbol);
  return !!node && ts.isTypeReferenceNode(node) && RESOLVED.test(node.typeName.getText());
}

/** The type a zod schema type validates into (`output`) or accepts (`input`), or undefined for another type. */
function zodSide(checker, type, side) {
  const internals = type.getProperty('_zod');
  if (!internals) return undefined;
  const inner = checker.getTypeOfSymbol(internals);
  const property = inner.getProperty(side);
  return property ? checker.getTypeOfSymbol(property) : undefined;
}

/** The `ZodType<Output, Input>` references this plugin made, whose arguments stay. */
const madeHere = new WeakSet();

/** `ZodType<Output, Input>` for a zod schema type, or undefined for another type. */
function schemaType(context, type) {
  const output = zodSide(context.checker, type, 'output');
  const input = zodSide(context.checker, type, 'input');
  if (!output || !input) return undefined;
  const reference = ReferenceType.createBrokenReference('ZodType', context.project, 'zod');
  reference.typeArguments = [
    context.converter.convertType(context, output),
    context.converter.convertType(context, input),
  ];
  madeHere.add(reference);
  return reference;
}

/** The reflections declared inside a type (object literals), which go when the type is replaced. */
function declaredIn(type, into) {
  type?.visit(makeRecursiveVisitor({ reflection: (t) => void into.add(t.declaration) }));
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** Reflections of replaced types, removed once conversion is done. */
  const orphans = new Set();

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const symbol = context.getSymbolFromReflection(reflection);
    if (!symbol) return;
    if (reflection.kindOf(ReflectionKind.TypeAlias) && resolvesSchema(symbol)) {
      // typedoc converts an alias marked so from the type the checker resolves, not from its declaration.
      reflection.comment?.modifierTags.add('@useDeclaredType');
      return;
    }
    if (reflection.kindOf(ReflectionKind.Variable)) {
      const type = schemaType(context.withScope(reflection), context.checker.getTypeOfSymbol(symbol));
      if (!type) return;
      declaredIn(reflection.type, orphans);
      reflection.type = type;
    }
  });

  app.converter.on(Converter.EVENT_CREATE_SIGNATURE, (context, signature, _node, tsSignature) => {
    if (!tsSignature || !signature.parent?.kindOf(ReflectionKind.Function)) return;
    const type = schemaType(context.withScope(signature), tsSignature.getReturnType());
    if (!type) return;
    declaredIn(signature.type, orphans);
    signature.type = type;
  });

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const strip = makeRecursiveVisitor({
      reference(type) {
        if (!ZOD.test(type.name) || madeHere.has(type)) return;
        for (const argument of type.typeArguments ?? []) declaredIn(argument, orphans);
        type.typeArguments = undefined;
        // A schema class named where no type could be resolved (a host's `z.object(...)`) is a schema all the same.
        if (!NOT_SCHEMA.test(type.name)) type.name = 'ZodType';
      },
    });
    for (const reflection of Object.values(project.reflections)) reflection.type?.visit(strip);
    for (const declaration of orphans)
      if (project.getReflectionById(declaration.id)) project.removeReflection(declaration);
    orphans.clear();

    // A field of a resolved schema type carries the schema's expression as its "default value" (`...`).
    for (const reflection of Object.values(project.reflections))
      if (reflection.kindOf(ReflectionKind.Property) && reflection.parent?.kindOf(ReflectionKind.TypeLiteral))
        reflection.defaultValue = undefined;
  });
}
