package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

type longFunc struct {
	name  string
	lines int
}

type stats struct {
	lines          int
	files          int
	funcs, methods int
	types, vals    int
	packages       map[string]int // exported outside internal/, by package
	all            int            // functions, methods and types of every importable package
	allPackages    map[string]bool
	long           []longFunc
}

func main() {
	limit := flag.Int("long", 80, "report functions longer than this many lines")
	byPackage := flag.Bool("packages", false, "list the exported identifiers outside internal/ by package")
	flag.Parse()
	files, err := goFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "codestats:", err)
		os.Exit(1)
	}
	st := stats{packages: map[string]int{}, allPackages: map[string]bool{}}
	fset := token.NewFileSet()
	for _, f := range files {
		if err := st.add(fset, f, *limit); err != nil {
			fmt.Fprintln(os.Stderr, "codestats:", err)
			os.Exit(1)
		}
	}
	st.print(os.Stdout)
	if *byPackage {
		st.printPackages(os.Stdout)
	}
}

// goFiles lists the non-test Go files git tracks (and untracked ones it
// does not ignore).
func goFiles() ([]string, error) {
	out, err := exec.Command("git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.go").Output()
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	var files []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := sc.Text()
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	return files, sc.Err()
}

func (st *stats) add(fset *token.FileSet, path string, limit int) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	st.files++
	st.lines += bytes.Count(src, []byte("\n"))
	f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
	if err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	dir := filepath.ToSlash(filepath.Dir(path))
	importable := f.Name.Name != "main"
	public := importable && !strings.HasPrefix(dir, "internal") && !strings.Contains(dir, "/internal")
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			n := fset.Position(d.End()).Line - fset.Position(d.Pos()).Line + 1
			if n > limit {
				st.long = append(st.long, longFunc{dir + "." + funcName(d), n})
			}
			if importable && d.Name.IsExported() && (d.Recv == nil || recvExported(d)) {
				st.all++
				st.allPackages[dir] = true
			}
			if public && d.Name.IsExported() && (d.Recv == nil || recvExported(d)) {
				if d.Recv == nil {
					st.funcs++
				} else {
					st.methods++
				}
				st.packages[dir]++
			}
		case *ast.GenDecl:
			if importable {
				st.addAll(d, dir)
			}
			if public {
				st.addGen(d, dir)
			}
		}
	}
	return nil
}

func (st *stats) addGen(d *ast.GenDecl, dir string) {
	for _, s := range d.Specs {
		switch s := s.(type) {
		case *ast.TypeSpec:
			if s.Name.IsExported() {
				st.types++
				st.packages[dir]++
			}
		case *ast.ValueSpec:
			for _, n := range s.Names {
				if n.IsExported() {
					st.vals++
					st.packages[dir]++
				}
			}
		}
	}
}

func (st *stats) addAll(d *ast.GenDecl, dir string) {
	for _, s := range d.Specs {
		if s, ok := s.(*ast.TypeSpec); ok && s.Name.IsExported() {
			st.all++
			st.allPackages[dir] = true
		}
	}
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + d.Name.Name
	}
	return d.Name.Name
}

func recvExported(d *ast.FuncDecl) bool {
	name := funcName(d)
	return ast.IsExported(name[:strings.IndexByte(name, '.')])
}

func (st *stats) print(w *os.File) {
	sort.Slice(st.long, func(i, j int) bool { return st.long[i].lines > st.long[j].lines })
	fmt.Fprintf(w, "non-test Go: %d lines in %d files\n", st.lines, st.files)
	fmt.Fprintf(w, "exported outside internal/ and main: %d (functions %d, methods %d, types %d, vars and consts %d) in %d packages\n",
		st.funcs+st.methods+st.types+st.vals, st.funcs, st.methods, st.types, st.vals, len(st.packages))
	fmt.Fprintf(w, "exported functions, methods and types of all importable packages: %d in %d packages\n", st.all, len(st.allPackages))
	fmt.Fprintf(w, "functions over the limit: %d\n", len(st.long))
	for _, l := range st.long {
		fmt.Fprintf(w, "  %4d  %s\n", l.lines, l.name)
	}
}

func (st *stats) printPackages(w *os.File) {
	dirs := slices.Collect(maps.Keys(st.packages))
	sort.Slice(dirs, func(i, j int) bool { return st.packages[dirs[i]] > st.packages[dirs[j]] })
	fmt.Fprintln(w, "exported outside internal/, by package:")
	for _, d := range dirs {
		fmt.Fprintf(w, "  %4d  %s\n", st.packages[d], d)
	}
}
