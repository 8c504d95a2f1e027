// Lint Cypher statements with Neo4j's own parser and semantic analysis.
// stdin: JSON [{"name": ..., "text": ..., "parameters": {name: example value}}]
// stdout: JSON [{"name": ..., "diagnostics": [{"message", "severity", "offset"}]}]
import { lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const input = await new Promise((resolve, reject) => {
  let data = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { data += chunk; });
  process.stdin.on('end', () => resolve(data));
  process.stdin.on('error', reject);
});

// Neo4j's built-in procedures and functions (as shipped with the package's test schema), so
// that calls such as db.index.vector.queryNodes are checked for existence and arity.
const builtins = testData.mockSchema;

const report = JSON.parse(input).map((statement) => {
  const schema = {
    procedures: builtins.procedures,
    functions: builtins.functions,
    parameters: statement.parameters,
  };
  const { diagnostics } = lintCypherQuery(statement.text, schema);
  return {
    name: statement.name,
    diagnostics: diagnostics.map((d) => ({
      message: d.message, severity: d.severity, offset: d.offsets?.start,
    })),
  };
});
process.stdout.write(JSON.stringify(report) + '\n');
