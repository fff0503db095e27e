"""Qt-free logic on top of the client and the stores: orders (validate → journal → send once → correlate), guards,
positions, MTM, alerts, the bar builder and the day's bar book, option chains and greeks, subscriptions (the union
of every view's tokens), watchlists."""
