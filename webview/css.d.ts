// esbuild bundles .css imports as text (loader 'text' in esbuild.mjs); panels adopt it as a stylesheet.
declare module '*.css' {
  const text: string;
  export default text;
}
