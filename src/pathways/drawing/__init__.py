"""Drawing: the reports' charts as SVG (our own small renderer, in the reader's language), pathway graphs."""
