/** A TypeScript file compiled for the browser and inlined as a string (see build/inline-assets.ts). */
declare module '*?inline-script' {
  const script: string;
  export default script;
}

/** A file's text, inlined as a string. */
declare module '*?inline-text' {
  const text: string;
  export default text;
}
