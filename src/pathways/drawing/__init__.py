"""Drawing: charts of the reports (matplotlib, loaded on first use) and pathway graphs."""
