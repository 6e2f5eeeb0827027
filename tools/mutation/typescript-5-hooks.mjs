const typescript5 = new URL('./node_modules/typescript/lib/typescript.js', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'typescript' && context.parentURL?.includes('/node_modules/@stryker-mutator/')) {
    return { url: typescript5, format: 'commonjs', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
