/**
 * The @vscode-elements/elements components the panel uses, bundled into dist/webview.js (nothing
 * remote). They style themselves with adoptedStyleSheets (not governed by the CSP's style-src) and
 * VS Code's theme variables, and set styles through CSSOM properties, never style attributes.
 */
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
