"""Use cases: each public function is one thing an officer, manager or operator does."""
