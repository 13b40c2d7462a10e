/**
 * A typedoc plugin: zod schemas in the public API are documented by their own comment and the
 * type they validate, not by zod's internal type arguments (whose enum maps and shape literals
 * would each need a comment of their own). It drops the type arguments of every `Zod...<...>`
 * reference, wherever it appears: an exported schema, or a command typed by its input schema.
 */
import { Converter, makeRecursiveVisitor } from 'typedoc';

const ZOD = /^\$?Zod[A-Z]/;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const nested = new Set();
    const strip = makeRecursiveVisitor({
      reference(type) {
        if (!ZOD.test(type.name) || !type.typeArguments?.length) return;
        const collect = makeRecursiveVisitor({ reflection: (t) => void nested.add(t.declaration) });
        for (const argument of type.typeArguments) argument.visit(collect);
        type.typeArguments = undefined;
      },
    });
    for (const reflection of Object.values(project.reflections)) reflection.type?.visit(strip);
    for (const declaration of nested) if (project.getReflectionById(declaration.id)) project.removeReflection(declaration);
  });
}
