/**
 * A typedoc plugin: exported zod schemas are documented by their own comment and the type they
 * validate, not by zod's internal type arguments (whose enum maps and shape literals would each
 * need a comment of their own). It drops the type arguments of every variable typed `Zod...<...>`.
 */
import { Converter, ReflectionKind, makeRecursiveVisitor } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const variable of project.getReflectionsByKind(ReflectionKind.Variable)) {
      const type = variable.type;
      if (type?.type !== 'reference' || !/^Zod[A-Z]/.test(type.name) || !type.typeArguments?.length) continue;
      const nested = [];
      const collect = makeRecursiveVisitor({ reflection: (t) => void nested.push(t.declaration) });
      for (const argument of type.typeArguments) argument.visit(collect);
      for (const declaration of nested) project.removeReflection(declaration);
      type.typeArguments = undefined;
    }
  });
}
