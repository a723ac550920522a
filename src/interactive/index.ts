// The interactive module's public face.
export { InteractiveModule } from './interactive.module.js';
export { INTERACTIVE_PATH } from './interactive.gateway.js';
export { LiveWsAdapter } from './live-ws-adapter.js';
