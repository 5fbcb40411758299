export const trainerKeys = {
  links: ['trainers', 'links'] as const,
  comments: ['trainers', 'comments'] as const,
  reviews: ['trainers', 'reviews'] as const,
};
