package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
)

// placeNames are the names of the places Fyne v2.7.1's open and save
// dialogs list on their left, which it shows in English whatever the
// language (it sets them with Label.SetText, not through its lang
// catalogue: dialog/file.go:199 and :400 "Home", :405 "App Files", :949
// the XDG folders, dialog/file_unix.go:20 "Computer"), keyed by Fyne's
// name.
func placeNames() map[string]string {
	return map[string]string{
		"Home":      lang.L("Home"),
		"Computer":  lang.L("Computer"),
		"App Files": lang.L("App Files"),
		"Desktop":   lang.L("Desktop"),
		"Documents": lang.L("Documents"),
		"Downloads": lang.L("Downloads"),
		"Music":     lang.L("Music"),
		"Pictures":  lang.L("Pictures"),
		"Videos":    lang.L("Videos"),
		"Movies":    lang.L("Movies"),
	}
}

// translatePlaces makes the file dialog shown on top of c name its places
// in the window's language: it finds the dialog's list of places (the
// leading side of the split in the pop-up's content) and renames each
// place after Fyne has set it. Nothing changes when the dialog is not laid
// out as in Fyne v2.7.1 (TestExportDialogInSpanish notices). UI goroutine.
func translatePlaces(c fyne.Canvas) {
	pop, ok := c.Overlays().Top().(*widget.PopUp)
	if !ok {
		return
	}
	list := findPlaces(pop.Content)
	if list == nil || list.UpdateItem == nil {
		return
	}
	names, update := placeNames(), list.UpdateItem
	list.UpdateItem = func(id widget.ListItemID, item fyne.CanvasObject) {
		update(id, item)
		row, ok := item.(*fyne.Container)
		if !ok {
			return
		}
		for _, o := range row.Objects {
			if l, ok := o.(*widget.Label); ok {
				if t, ok := names[l.Text]; ok {
					l.SetText(t)
				}
			}
		}
	}
	list.Refresh()
}

// findPlaces is the list that leads a split under o, or nil.
func findPlaces(o fyne.CanvasObject) *widget.List {
	switch o := o.(type) {
	case *container.Split:
		if l, ok := o.Leading.(*widget.List); ok {
			return l
		}
		if l := findPlaces(o.Leading); l != nil {
			return l
		}
		return findPlaces(o.Trailing)
	case *fyne.Container:
		for _, c := range o.Objects {
			if l := findPlaces(c); l != nil {
				return l
			}
		}
	}
	return nil
}
