// ES module entry of error-reporter.js: the same reporter, as named and default exports.
import './error-reporter.js';

export const JavaScriptErrorReporter = globalThis.JavaScriptErrorReporter;
export const messageTemplate = JavaScriptErrorReporter.messageTemplate;
export default JavaScriptErrorReporter;
