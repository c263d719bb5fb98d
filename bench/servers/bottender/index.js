// The bot: does nothing, so the figure is bottender's own webhook path.
module.exports = async function App() {};
