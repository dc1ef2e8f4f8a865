package main

// Fyne's lang package parses the user's locale in its package init, before
// main runs, and logs three lines for LANG=C.UTF-8 (the usual container and
// server default) on every command. fynelocale's init runs first and gives
// Fyne a locale it can read (English for C); see its package comment.
import _ "facelogin/internal/fynelocale"
