package helpcenter

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// The articles the release ships live in articles/, one file each:
//
//	slug: reset-password
//	category: account
//	position: 10
//
//	=== zh-CN
//	title: 忘记密码？如何重置
//	(body)
//	=== en
//	title: …
//
//go:embed articles/*.txt
var articleFS embed.FS

// Seeded is one shipped article.
type Seeded struct {
	Slug     string
	Category Category
	Position int
	Texts    map[string]Draft
}

// ShippedArticles parses the embedded articles, in file order.
func ShippedArticles() ([]Seeded, error) {
	files, err := fs.Glob(articleFS, "articles/*.txt")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Seeded
	for _, f := range files {
		b, err := articleFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		a, err := parseSeed(string(b))
		if err != nil {
			return nil, fmt.Errorf("helpcenter: %s: %w", f, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseSeed(s string) (Seeded, error) {
	a := Seeded{Texts: map[string]Draft{}}
	head, rest, _ := strings.Cut(s, "\n=== ")
	for _, line := range strings.Split(head, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "slug":
			a.Slug = v
		case "category":
			a.Category = Category(v)
		case "position":
			a.Position, _ = strconv.Atoi(v)
		}
	}
	for _, part := range strings.Split("=== "+rest, "\n=== ") {
		part = strings.TrimPrefix(part, "=== ")
		lang, text, _ := strings.Cut(part, "\n")
		lang = strings.TrimSpace(lang)
		titleLine, body, _ := strings.Cut(strings.TrimLeft(text, "\n"), "\n")
		title, ok := strings.CutPrefix(titleLine, "title:")
		if !knownLang(lang) || !ok {
			return a, fmt.Errorf("section %q: want a language and a title: line", lang)
		}
		d, err := cleanDraft(lang, Draft{Title: title, Body: body})
		if err != nil {
			return a, err
		}
		a.Texts[lang] = d
	}
	if !slugPattern.MatchString(a.Slug) || !knownCategory(a.Category) || len(a.Texts) != len(Langs) {
		return a, fmt.Errorf("want a slug, a known category and a text in every language")
	}
	return a, nil
}

// Seed loads the shipped articles that are not there yet, published, and
// reports how many it added. An article already there (by slug) is left
// as it is: once loaded it is staff's to edit. Several nodes may seed at
// once: the slug is unique, so each article is loaded once.
func (s *Service) Seed(ctx context.Context) (int, error) {
	arts, err := ShippedArticles()
	if err != nil {
		return 0, err
	}
	added := 0
	for _, sa := range arts {
		now := s.now()
		err := s.store.InTx(ctx, func(tx Tx) error {
			id, inserted, err := tx.InsertArticle(ctx, Article{Slug: sa.Slug, Category: sa.Category, Position: sa.Position,
				Live: true, Seeded: true, CreatedAt: now, UpdatedAt: now})
			if err != nil || !inserted {
				return err
			}
			for _, lang := range Langs {
				d := sa.Texts[lang]
				tid, err := tx.InsertText(ctx, Text{ArticleID: id, Lang: lang, Title: d.Title, Body: d.Body, Status: StatusPublished,
					CreatedAt: now, UpdatedAt: now, PublishedAt: now})
				if err != nil {
					return err
				}
				if err := tx.IndexText(ctx, tid, IndexTerms(d.Title, d.Body)); err != nil {
					return err
				}
			}
			added++
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("helpcenter: seed %s: %w", sa.Slug, err)
		}
	}
	return added, nil
}
