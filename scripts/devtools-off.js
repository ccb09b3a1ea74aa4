// Stands in for `react-devtools-core` in the single-file build (npm run bundle): Ink loads it only
// when DEV=true and would then connect to a devtools server over the network. Sotto never does:
// here both calls do nothing.
export default {
  initialize() {},
  connectToDevTools() {},
};
