package main

func runWindow(e *env, args []string) error {
	return fail(exitUsage, nil, "the window is not wired yet; use a command:\n")
}
