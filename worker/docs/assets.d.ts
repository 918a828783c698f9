// Swagger UI's prebuilt files, bundled as text modules by the `rules` in wrangler.toml.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const source: string;
  export default source;
}

declare module 'swagger-ui-dist/swagger-ui.css' {
  const source: string;
  export default source;
}
