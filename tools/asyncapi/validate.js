// Validates AsyncAPI documents with @asyncapi/parser, the official parser: the JSON
// schema of the document's AsyncAPI version (from @asyncapi/specs), binding schemas,
// and its semantic rules. Errors and warnings fail; hints and infos are printed.
//   ASYNCAPI_PARSER_DIR=<dir with node_modules> node validate.js FILE...
const path = require('path');

const dir = process.env.ASYNCAPI_PARSER_DIR;
if (!dir) {
  console.error('validate.js: set ASYNCAPI_PARSER_DIR (tools/install puts the parser there)');
  process.exit(2);
}
const { Parser, fromFile } = require(path.join(dir, 'node_modules', '@asyncapi', 'parser'));

const SEVERITY = ['error', 'warning', 'info', 'hint'];

async function main(files) {
  const parser = new Parser();
  let failed = 0;
  for (const file of files) {
    const { document, diagnostics } = await fromFile(parser, file).parse();
    for (const d of diagnostics) {
      const where = d.range ? `${file}:${d.range.start.line + 1}` : file;
      const at = d.path && d.path.length ? ` (${d.path.join('.')})` : '';
      console.log(`${SEVERITY[d.severity]}: ${where}${at}: ${d.message} [${d.code}]`);
      if (d.severity <= 1) failed++;
    }
    if (!document) failed++;
    else console.log(`${file}: AsyncAPI ${document.version()}, ${document.channels().length} channels, ` +
                     `${document.operations().length} operations, ${document.components().messages().length} messages`);
  }
  process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2)).catch((e) => { console.error(e); process.exit(2); });
